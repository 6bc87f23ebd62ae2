import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDispatcher } from "../../src/http/dispatcher.js";
import { NetworkError } from "../../src/http/network-error.js";
import { SalesforceClient } from "../../src/salesforce/index.js";
import { capturedLogger } from "../support/logger.js";
import { API, FAKE_SECRET, FAST_RETRY, FakeOrg, json } from "../support/org.js";

let dir: string;
let caFile: string;
let org: FakeOrg;
let proxy: Server;
let proxyUrl: string;
/** The CONNECT targets the proxy was asked for. */
const tunnels: string[] = [];

function listen(server: Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  return once(server, "listening").then(() => `127.0.0.1:${(server.address() as AddressInfo).port}`);
}

beforeAll(async () => {
  // A throwaway self-signed certificate for 127.0.0.1, made fresh for this run.
  dir = mkdtempSync(join(tmpdir(), "sfevents-tls-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  caFile = join(dir, "cert.pem");
  org = await FakeOrg.start({ tls: { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(caFile) } });
  org.on("GET", `${API}/limits`, (_req, res) =>
    json(res, 200, { DailyApiRequests: { Max: 100, Remaining: 99 } }),
  );

  // A minimal forward proxy that only tunnels (CONNECT), as corporate proxies do for HTTPS.
  proxy = createHttpServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
  proxy.on("connect", (req, socket, head) => {
    tunnels.push(req.url ?? "");
    const [host, port] = (req.url ?? "").split(":");
    const upstream = connect(Number(port), host, () => {
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  proxyUrl = `http://${await listen(proxy)}`;
});

afterAll(async () => {
  await org.close();
  proxy.closeAllConnections();
  await new Promise((resolve) => proxy.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const PROXY_VARS = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"];
const savedEnv = Object.fromEntries(PROXY_VARS.map((k) => [k, process.env[k]]));
afterEach(() => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  tunnels.length = 0;
});

async function limitsThrough(dispatcher = createDispatcher({ caFile })) {
  const client = new SalesforceClient({
    credentials: { url: org.url, clientId: "3MVG9-consumer-key", clientSecret: FAKE_SECRET },
    dispatcher,
    logger: capturedLogger().logger,
    retry: FAST_RETRY,
  });
  try {
    return await client.limits();
  } finally {
    await dispatcher.close();
  }
}

describe("createDispatcher", () => {
  it("trusts a private CA given as tls.ca_file", async () => {
    for (const k of PROXY_VARS) delete process.env[k];
    expect((await limitsThrough()).DailyApiRequests.Max).toBe(100);
    expect(tunnels).toEqual([]);
  });

  it("refuses the same server without the CA file, at once and with the fix", async () => {
    for (const k of PROXY_VARS) delete process.env[k];
    const error = (await limitsThrough(createDispatcher()).catch((e) => e)) as NetworkError;
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.transient).toBe(false);
    expect(error.message).toContain("tls.ca_file");
  });

  it("tunnels through HTTPS_PROXY, and bypasses it for NO_PROXY hosts", async () => {
    for (const k of PROXY_VARS) delete process.env[k];
    process.env.HTTPS_PROXY = proxyUrl;
    expect((await limitsThrough()).DailyApiRequests.Remaining).toBe(99);
    expect(tunnels.length).toBeGreaterThan(0);
    expect(new Set(tunnels)).toEqual(new Set([new URL(org.url).host]));

    tunnels.length = 0;
    process.env.NO_PROXY = "127.0.0.1";
    expect((await limitsThrough()).DailyApiRequests.Remaining).toBe(99);
    expect(tunnels).toEqual([]);
  });

  it("says so when the CA file cannot be used", () => {
    const notPem = join(dir, "not-a-cert.txt");
    writeFileSync(notPem, "hello");
    expect(() => createDispatcher({ caFile: notPem })).toThrow(/no PEM certificate/);
    expect(() => createDispatcher({ caFile: join(dir, "missing.pem") })).toThrow(/Cannot read the CA bundle/);
  });
});
