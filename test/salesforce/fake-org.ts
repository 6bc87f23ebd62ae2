import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../src/observability/logger.js";

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/**
 * A stand-in org on 127.0.0.1: each test installs the handlers it needs and reads back the requests
 * the client made. The token endpoint answers a numbered token unless a test replaces it.
 */
export class FakeOrg {
  readonly requests: SeenRequest[] = [];
  readonly routes = new Map<string, Handler>();
  tokensIssued = 0;
  private server: Server | undefined;

  constructor() {
    this.routes.set("POST /services/oauth2/token", (_req, res) => {
      this.tokensIssued++;
      json(res, 200, {
        access_token: `00Dxx0000001gPL!token-number-${this.tokensIssued}`,
        instance_url: this.url,
        id: "https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000001SwiUAAS",
        token_type: "Bearer",
        issued_at: "1700000000000",
        scope: "api",
      });
    });
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  /** Requests to a path (query string ignored), in order. */
  seen(method: string, path: string): SeenRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.split("?")[0] === path);
  }

  on(method: string, path: string, handler: Handler): void {
    this.routes.set(`${method} ${path}`, handler);
  }

  async start(): Promise<this> {
    this.server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString("utf8");
      const path = req.url ?? "/";
      this.requests.push({ method: req.method ?? "", path, headers: req.headers, body });
      const handler = this.routes.get(`${req.method} ${path.split("?")[0]}`);
      if (handler) handler(req, res, body);
      else json(res, 404, [{ errorCode: "NOT_FOUND", message: "The requested resource does not exist" }]);
    });
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
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

/** A logger whose JSON lines are kept for assertions (after the project's redaction). */
export function capturedLogger(): {
  logger: Logger;
  lines: () => Record<string, unknown>[];
  text: () => string;
} {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      raw.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level: "debug", destination });
  const text = () => raw.join("");
  return {
    logger,
    text,
    lines: () =>
      text()
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** Retry settings small enough for tests: the schedule is exercised, the clock barely. */
export const FAST_RETRY = {
  attempts: 4,
  baseDelayMs: 1,
  maxDelayMs: 5,
  requestLimitWaits: 2,
  requestLimitDelayMs: 2,
};

/** A client secret that must never show up in an error or a log line. */
export const FAKE_SECRET = "s3cr3t-CONSUMER-secret-4D8F2A";
