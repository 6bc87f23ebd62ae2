import { NetworkError } from "../../src/http/network-error.js";
import { once } from "node:events";
import { gzipSync, deflateSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  SalesforceApiError,
  SalesforceClient,
  SalesforceDownloadError,
  SalesforceRequestLimitError,
  SalesforceTruncatedAnswerError,
} from "../../src/salesforce/index.js";
import { capturedLogger } from "../support/logger.js";
import { FAKE_SECRET, FAST_RETRY, FakeOrg, json } from "../support/org.js";

const LOG_PATH = "/services/data/v64.0/sobjects/EventLogFile/0ATxx0000000001AAA/LogFile";
const QUERY_PATH = "/services/data/v64.0/query";

let org: FakeOrg;
let log: ReturnType<typeof capturedLogger>;
let client: SalesforceClient;

beforeEach(async () => {
  org = await FakeOrg.start();
  log = capturedLogger();
  client = new SalesforceClient({
    credentials: { url: org.url, clientId: "3MVG9-consumer-key", clientSecret: FAKE_SECRET },
    logger: log.logger,
    retry: FAST_RETRY,
    slowDownMaxDelayMs: 1,
  });
});

afterEach(async () => {
  await client.close();
  await org.close();
});

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const page of pages) out.push(page);
  return out;
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString("utf8");
}

/** Serves `pages` records in pages of `size`, Salesforce style: a locator in nextRecordsUrl. */
function servePages(records: { Id: string }[], size: number, before?: (offset: number) => boolean): void {
  const page = (offset: number) => {
    const done = offset + size >= records.length;
    return {
      totalSize: records.length,
      done,
      ...(done ? {} : { nextRecordsUrl: `${QUERY_PATH}/01gxx0000000001-${offset + size}` }),
      records: records.slice(offset, offset + size),
    };
  };
  org.on("GET", QUERY_PATH, (_req, res) => json(res, 200, page(0)));
  for (let offset = size; offset < records.length; offset += size) {
    org.on("GET", `${QUERY_PATH}/01gxx0000000001-${offset}`, (_req, res) => {
      if (before && !before(offset)) return;
      json(res, 200, page(offset));
    });
  }
}

const records = Array.from({ length: 7 }, (_, i) => ({ Id: `0ATxx000000000${i}AAA` }));

describe("SalesforceClient.query", () => {
  it("follows nextRecordsUrl through every page and sends the batch size", async () => {
    servePages(records, 3);
    const pages = await collect(
      client.query<{ Id: string }>("SELECT Id FROM EventLogFile", { batchSize: 200 }),
    );
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(records);
    const first = org.seen("GET", QUERY_PATH)[0];
    expect(new URL(first.path, org.url).searchParams.get("q")).toBe("SELECT Id FROM EventLogFile");
    expect(first.headers["sforce-query-options"]).toBe("batchSize=200");
    expect(first.headers.authorization).toBe("Bearer 00Dxx0000001gPL!token-number-1");
  });

  it("re-authenticates once on a 401 in the middle of pagination and carries on", async () => {
    let refused = false;
    servePages(records, 3, (offset) => offset !== 3 || refused);
    org.on("GET", `${QUERY_PATH}/01gxx0000000001-3`, (req, res) => {
      if (req.headers.authorization?.endsWith("token-number-1")) {
        refused = true;
        json(res, 401, [{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }]);
        return;
      }
      json(res, 200, {
        totalSize: 7,
        done: false,
        nextRecordsUrl: `${QUERY_PATH}/01gxx0000000001-6`,
        records: records.slice(3, 6),
      });
    });
    const pages = await collect(client.query<{ Id: string }>("SELECT Id FROM EventLogFile"));
    expect(pages.flat()).toEqual(records);
    expect(org.tokensIssued).toBe(2);
    expect(org.seen("GET", `${QUERY_PATH}/01gxx0000000001-6`)[0].headers.authorization).toMatch(
      /token-number-2$/,
    );
  });

  it("gives up with INVALID_SESSION_ID when even a fresh token is refused", async () => {
    org.on("GET", QUERY_PATH, (_req, res) =>
      json(res, 401, [{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }]),
    );
    const error = await collect(client.query("SELECT Id FROM EventLogFile")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SalesforceApiError);
    expect((error as SalesforceApiError).message).toContain("'api' OAuth scope");
    expect(org.tokensIssued).toBe(2);
    expect(org.seen("GET", QUERY_PATH)).toHaveLength(2);
  });

  it("shares one re-authentication among concurrent callers", async () => {
    org.on("GET", "/services/data/v64.0/limits", (req, res) => {
      if (req.headers.authorization?.endsWith("token-number-1")) {
        json(res, 401, [{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }]);
      } else json(res, 200, { DailyApiRequests: { Max: 15000, Remaining: 14000 } });
    });
    await client.authenticate();
    const results = await Promise.all([client.limits(), client.limits(), client.limits()]);
    expect(results.map((r) => r.DailyApiRequests.Remaining)).toEqual([14000, 14000, 14000]);
    expect(org.tokensIssued).toBe(2);
  });

  it("refuses a page that is not done yet has no nextRecordsUrl", async () => {
    org.on("GET", QUERY_PATH, (_req, res) => json(res, 200, { totalSize: 5, done: false, records: [] }));
    await expect(collect(client.query("SELECT Id FROM EventLogFile"))).rejects.toThrow(/no nextRecordsUrl/);
  });

  it("refuses an answer done short of its totalSize, before yielding its records as if it were whole", async () => {
    org.on("GET", QUERY_PATH, (_req, res) =>
      json(res, 200, { totalSize: 5, done: true, records: records.slice(0, 2) }),
    );
    const pages: unknown[] = [];
    const read = async () => {
      for await (const page of client.query("SELECT EventIdentifier FROM ApiEvent")) pages.push(page);
    };
    const err = await read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SalesforceTruncatedAnswerError);
    expect(err).toMatchObject({ received: 2, totalSize: 5, action: "retry-unit" });
    expect(pages).toEqual([]);
  });

  it("never sends the token to another origin named in a response", async () => {
    org.on("GET", QUERY_PATH, (_req, res) =>
      json(res, 200, { done: false, nextRecordsUrl: "http://attacker.invalid/next", records: [] }),
    );
    await expect(collect(client.query("SELECT Id FROM EventLogFile"))).rejects.toThrow(/Refusing to send/);
  });

  it("surfaces a bad query at once as a typed error, without retrying", async () => {
    org.on("GET", QUERY_PATH, (_req, res) =>
      json(res, 400, [
        { message: "No such column 'Interval' on entity 'EventLogFile'.", errorCode: "INVALID_FIELD" },
      ]),
    );
    const error = (await collect(client.query("SELECT Interval FROM EventLogFile")).catch(
      (e) => e,
    )) as SalesforceApiError;
    expect(error).toBeInstanceOf(SalesforceApiError);
    expect([error.status, error.errorCode]).toEqual([400, "INVALID_FIELD"]);
    expect(error.message).toContain("No such column 'Interval'");
    expect(org.seen("GET", QUERY_PATH)).toHaveLength(1);
  });
});

describe("retries", () => {
  it("retries a 503 with an HTML body and logs the incident once", async () => {
    let calls = 0;
    org.on("GET", "/services/data/v64.0/sobjects/EventLogFile/describe", (_req, res) => {
      if (++calls <= 2) {
        res.writeHead(503, { "content-type": "text/html" });
        res.end("<html><body>Service unavailable</body></html>");
      } else json(res, 200, { name: "EventLogFile", fields: [{ name: "Interval", type: "picklist" }] });
    });
    const describe = await client.describe("EventLogFile");
    expect(describe.fields.map((f) => f.name)).toEqual(["Interval"]);
    expect(calls).toBe(3);
    const levels = log
      .lines()
      .filter((l) => String(l.msg).includes("retr") || String(l.msg).includes("recovered"));
    expect(levels.map((l) => l.level)).toEqual(["warn", "debug", "info"]);
    expect(levels[0]).toMatchObject({ err: { status: 503, errorCode: "HTTP_503" } });
  });

  it("retries a connection reset before the response and a 500 QUERY_TIMEOUT", async () => {
    let calls = 0;
    org.on("GET", "/services/data/v64.0/limits", (req, res) => {
      calls++;
      if (calls === 1) req.socket.destroy();
      else if (calls === 2) json(res, 500, [{ message: "query timeout", errorCode: "QUERY_TIMEOUT" }]);
      else json(res, 200, { DailyApiRequests: { Max: 15000, Remaining: 15000 } });
    });
    expect((await client.limits()).DailyApiRequests.Max).toBe(15000);
    expect(calls).toBe(3);
  });

  it("stops after the attempt budget with the last error", async () => {
    org.on("GET", "/services/data/v64.0/limits", (_req, res) => {
      res.writeHead(502);
      res.end();
    });
    const error = (await client.limits().catch((e) => e)) as SalesforceApiError;
    expect([error.status, error.errorCode, error.detail]).toEqual([502, "HTTP_502", "empty response body"]);
    expect(org.seen("GET", "/services/data/v64.0/limits")).toHaveLength(FAST_RETRY.attempts);
  });

  it("waits a bounded time on REQUEST_LIMIT_EXCEEDED, then surfaces it typed", async () => {
    org.on("GET", "/services/data/v64.0/limits", (_req, res) =>
      json(res, 403, [{ message: "TotalRequests Limit exceeded.", errorCode: "REQUEST_LIMIT_EXCEEDED" }], {
        "sforce-limit-info": "api-usage=15001/15000",
      }),
    );
    const error = await client.limits().catch((e) => e);
    expect(error).toBeInstanceOf(SalesforceRequestLimitError);
    expect((error as SalesforceRequestLimitError).status).toBe(403);
    expect(org.seen("GET", "/services/data/v64.0/limits")).toHaveLength(FAST_RETRY.requestLimitWaits + 1);
    expect(client.apiUsage).toEqual({ used: 15001, max: 15000 });
  });

  it("reports an unreachable org as a network error after the budget", async () => {
    const url = org.url;
    await org.close();
    const error = await client.authenticate().catch((e) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).code).toBe("ECONNREFUSED");
    expect((error as Error).message).toContain(new URL(url).origin);
    org = await FakeOrg.start();
  });
});

describe("SalesforceClient.download", () => {
  const csv = '"EVENT_TYPE","TIMESTAMP"\n"Login","20231218054831.655"\n'.repeat(2000);

  it("asks for gzip and decodes it as it streams", async () => {
    org.on("GET", LOG_PATH, (req, res) => {
      expect(req.headers["accept-encoding"]).toContain("gzip");
      res.writeHead(200, { "content-type": "application/octetstream", "content-encoding": "gzip" });
      res.end(gzipSync(csv));
    });
    expect(await readAll(await client.download(LOG_PATH))).toBe(csv);
  });

  it("decodes deflate and passes an uncompressed body through", async () => {
    let compressed = true;
    org.on("GET", LOG_PATH, (_req, res) => {
      res.writeHead(200, compressed ? { "content-encoding": "deflate" } : {});
      res.end(compressed ? deflateSync(csv) : csv);
    });
    expect(await readAll(await client.download(LOG_PATH))).toBe(csv);
    compressed = false;
    expect(await readAll(await client.download(LOG_PATH))).toBe(csv);
  });

  it("fails the stream when the gzip body is truncated", async () => {
    const gz = gzipSync(csv);
    org.on("GET", LOG_PATH, (_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip" });
      res.end(gz.subarray(0, gz.length - 20));
    });
    const body = await client.download(LOG_PATH);
    const error = await readAll(body).catch((e) => e);
    expect(error).toBeInstanceOf(SalesforceDownloadError);
    expect((error as Error).message).toContain(LOG_PATH);
  });

  it("fails the stream when the connection resets mid-body, and does not retry it", async () => {
    org.on("GET", LOG_PATH, (req, res) => {
      res.writeHead(200, { "content-length": String(csv.length) });
      res.write(csv.slice(0, 1000), () => setTimeout(() => req.socket.destroy(), 10));
    });
    const body = await client.download(LOG_PATH);
    await expect(readAll(body)).rejects.toBeInstanceOf(SalesforceDownloadError);
    expect(org.seen("GET", LOG_PATH)).toHaveLength(1);
  });

  it("retries a failure before the body starts, re-authenticating on 401", async () => {
    let calls = 0;
    org.on("GET", LOG_PATH, (_req, res) => {
      calls++;
      if (calls === 1)
        json(res, 401, [{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }]);
      else if (calls === 2)
        json(res, 503, [{ message: "Server unavailable", errorCode: "SERVER_UNAVAILABLE" }]);
      else {
        res.writeHead(200, { "content-encoding": "gzip" });
        res.end(gzipSync(csv));
      }
    });
    expect(await readAll(await client.download(LOG_PATH))).toBe(csv);
    expect(calls).toBe(3);
    expect(org.tokensIssued).toBe(2);
  });

  it("stops the download when the reader destroys the stream", async () => {
    let aborted: Promise<unknown> = Promise.resolve();
    org.on("GET", LOG_PATH, async (_req, res) => {
      aborted = once(res, "close");
      res.writeHead(200);
      // An endless body: only an abort from the client ends this response.
      const chunk = Buffer.alloc(64 * 1024, "a");
      while (!res.destroyed) {
        if (!res.write(chunk)) await Promise.race([once(res, "drain"), once(res, "close")]);
      }
    });
    const body = await client.download(LOG_PATH);
    for await (const chunk of body) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    await aborted;
    expect(body.destroyed).toBe(true);
  });

  it("abandons a download when its signal is aborted, failing with the abort reason", async () => {
    org.on("GET", LOG_PATH, (_req, res) => {
      res.writeHead(200, { "content-length": String(csv.length) });
      res.write(csv.slice(0, 1000));
    });
    const controller = new AbortController();
    const body = await client.download(LOG_PATH, controller.signal);
    const reason = new Error("collector shutting down");
    const read = (async () => {
      for await (const _chunk of body) controller.abort(reason);
    })();
    await expect(read).rejects.toBe(reason);
    await expect(client.download(LOG_PATH, controller.signal)).rejects.toBe(reason);
    expect(org.seen("GET", LOG_PATH)).toHaveLength(1);
  });

  it("turns a missing file into a typed NOT_FOUND", async () => {
    const error = (await client.download(`${LOG_PATH}x`).catch((e) => e)) as SalesforceApiError;
    expect([error.status, error.errorCode]).toEqual([404, "NOT_FOUND"]);
  });
});

describe("API usage", () => {
  it("reads Sforce-Limit-Info on every response and slows down past the threshold, logging once", async () => {
    let used = 100;
    org.on("GET", "/services/data/v64.0/limits", (_req, res) =>
      json(
        res,
        200,
        {},
        { "sforce-limit-info": `api-usage=${used}/1000; per-app-api-usage=5/250(appName=sfevents)` },
      ),
    );
    await client.limits();
    expect(client.apiUsage).toEqual({ used: 100, max: 1000 });
    expect(client.limitInfo.perApp).toEqual({ used: 5, max: 250, app: "sfevents" });
    used = 900;
    await client.limits();
    await client.limits();
    const warnings = log.lines().filter((l) => l.level === "warn" && String(l.msg).includes("API usage"));
    expect(warnings).toHaveLength(1);
    used = 100;
    await client.limits();
    await client.limits();
    expect(log.lines().filter((l) => String(l.msg).includes("back under"))).toHaveLength(1);
  });

  it("lists versions without a token", async () => {
    org.on("GET", "/services/data/", (_req, res) =>
      json(res, 200, [{ label: "Summer '25", url: "/services/data/v64.0", version: "64.0" }]),
    );
    expect((await client.versions()).map((v) => v.version)).toEqual(["64.0"]);
    expect(org.tokensIssued).toBe(0);
    expect(org.seen("GET", "/services/data/")[0].headers.authorization).toBeUndefined();
  });
});

describe("secrets", () => {
  it("keeps the client secret and tokens out of errors and log lines", async () => {
    org.on("GET", QUERY_PATH, (_req, res) =>
      json(res, 401, [{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }]),
    );
    const error = (await collect(client.query("SELECT Id FROM EventLogFile")).catch((e) => e)) as Error;
    log.logger.error({ err: error, token: "00Dxx0000001gPL!token-number-2" }, "collection failed");
    const everything = `${error.message}\n${error.stack}\n${log.text()}`;
    expect(log.text()).toContain("collection failed");
    expect(everything).not.toContain(FAKE_SECRET);
    expect(everything).not.toContain("token-number-");
  });
});

describe("SalesforceClient's Pub/Sub auth", () => {
  it("gives the session's token, instance URL and org id, and renews a refused token once", async () => {
    const auth = await client.pubSubAuth();
    expect(auth).toEqual({
      accessToken: "00Dxx0000001gPL!token-number-1",
      instanceUrl: org.url,
      tenantId: "00Dxx0000001gPLEAY",
    });
    expect((await client.pubSubAuth()).accessToken).toBe(auth.accessToken);
    const renewed = await client.renewPubSubAuth(auth.accessToken);
    expect(renewed.accessToken).toBe("00Dxx0000001gPL!token-number-2");
    // A second caller refused the same old token gets the new one, without another grant.
    expect((await client.renewPubSubAuth(auth.accessToken)).accessToken).toBe(renewed.accessToken);
    expect(org.tokensIssued).toBe(2);
    expect(log.text()).not.toContain("token-number");
  });

  it("says what is wrong when the token answer names no org", async () => {
    org.on("POST", "/services/oauth2/token", (_req, res) =>
      json(res, 200, { access_token: "00Dxx0000001gPL!no-identity", instance_url: org.url }),
    );
    await expect(client.pubSubAuth()).rejects.toThrow(/needs the org id.*identity URL/);
  });
});
