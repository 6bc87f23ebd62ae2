import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

/**
 * The one stand-in org of the tests, on 127.0.0.1: each test installs the handlers it needs and reads
 * back the requests the client made. The token endpoint answers a numbered token unless a test
 * replaces it. `logFiles` serves Event Log Files (describe, query, download) whose content neither a
 * real org nor the simulator (which writes only well-formed files) can be made to produce: malformed
 * rows, a header that disagrees with LogFileFieldNames, empty files. Tests that need a realistic org
 * use the simulator (src/simulator/) instead.
 */

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export interface FakeLogFile {
  id: string;
  eventType: string;
  /** What the record's LogFileFieldNames declares. */
  fieldNames: string;
  body: Buffer | string;
}

export interface FakeOrgOptions {
  /** Event Log Files every query answers, in one page; only an issued token may read them. */
  logFiles?: FakeLogFile[];
  /** Serve HTTPS with this key and certificate (PEM) instead of HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

/** Retry settings of the Salesforce client small enough for tests: the schedule is exercised, the clock barely. */
export const FAST_RETRY = {
  attempts: 4,
  baseDelayMs: 1,
  maxDelayMs: 5,
  requestLimitWaits: 2,
  requestLimitDelayMs: 2,
};

/** A client secret that must never show up in an error or a log line. */
export const FAKE_SECRET = "s3cr3t-CONSUMER-secret-4D8F2A";

export const API = "/services/data/v64.0";

export class FakeOrg {
  readonly clientId = "3MVG9-consumer-key";
  readonly clientSecret = FAKE_SECRET;
  readonly requests: SeenRequest[] = [];
  readonly routes = new Map<string, Handler>();
  /** The access tokens issued, in order. */
  readonly tokens: string[] = [];
  private readonly server: Server;

  private constructor(private readonly options: FakeOrgOptions) {
    const handle = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    this.server = options.tls ? createHttpsServer(options.tls, handle) : createServer(handle);
    this.on("POST", "/services/oauth2/token", (_req, res) => {
      const token = `00Dxx0000001gPL!token-number-${this.tokens.length + 1}`;
      this.tokens.push(token);
      json(res, 200, {
        access_token: token,
        instance_url: this.url,
        id: "https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000001SwiUAAS",
        token_type: "Bearer",
        issued_at: "1700000000000",
        scope: "api",
      });
    });
    if (options.logFiles) this.serveLogFiles(options.logFiles);
  }

  static async start(options: FakeOrgOptions = {}): Promise<FakeOrg> {
    const org = new FakeOrg(options);
    org.server.listen(0, "127.0.0.1");
    await once(org.server, "listening");
    return org;
  }

  get url(): string {
    const address = this.server.address() as AddressInfo;
    return `${this.options.tls ? "https" : "http"}://127.0.0.1:${address.port}`;
  }

  get tokensIssued(): number {
    return this.tokens.length;
  }

  /** Requests to a path (query string ignored), in order. */
  seen(method: string, path: string): SeenRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.split("?")[0] === path);
  }

  on(method: string, path: string, handler: Handler): void {
    this.routes.set(`${method} ${path}`, handler);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const path = req.url ?? "/";
    this.requests.push({ method: req.method ?? "", path, headers: req.headers, body });
    const handler = this.routes.get(`${req.method} ${path.split("?")[0]}`);
    if (handler) handler(req, res, body);
    else json(res, 404, [{ errorCode: "NOT_FOUND", message: "The requested resource does not exist" }]);
  }

  private serveLogFiles(files: FakeLogFile[]): void {
    const authorized = (handler: Handler): Handler => {
      return (req, res, body) => {
        const token = req.headers.authorization?.replace(/^Bearer /, "");
        if (token === undefined || !this.tokens.includes(token))
          json(res, 401, [{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }]);
        else handler(req, res, body);
      };
    };
    this.on(
      "GET",
      `${API}/sobjects/EventLogFile/describe`,
      authorized((_req, res) => {
        const names = ["Id", "EventType", "LogDate", "CreatedDate", "Interval", "Sequence", "LogFileLength"];
        json(res, 200, {
          name: "EventLogFile",
          fields: [...names, "LogFile", "LogFileFieldNames"].map((name) => ({ name, type: "string" })),
        });
      }),
    );
    this.on(
      "GET",
      `${API}/query`,
      authorized((_req, res) => {
        const records = files.map((f, i) => ({
          attributes: { type: "EventLogFile", url: `${API}/sobjects/EventLogFile/${f.id}` },
          Id: f.id,
          EventType: f.eventType,
          LogDate: "2026-11-20T10:00:00.000+0000",
          CreatedDate: `2026-11-20T11:0${i}:00.000+0000`,
          Interval: "Hourly",
          Sequence: 1,
          LogFileLength: Buffer.byteLength(f.body),
          LogFile: `${API}/sobjects/EventLogFile/${f.id}/LogFile`,
          LogFileFieldNames: f.fieldNames,
        }));
        json(res, 200, { totalSize: records.length, done: true, records });
      }),
    );
    for (const file of files) {
      this.on(
        "GET",
        `${API}/sobjects/EventLogFile/${file.id}/LogFile`,
        authorized((_req, res) => {
          res.writeHead(200, { "content-type": "application/octetstream" });
          res.end(file.body);
        }),
      );
    }
  }
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json;charset=UTF-8", ...headers });
  res.end(JSON.stringify(body));
}
