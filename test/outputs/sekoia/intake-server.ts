import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/**
 * What the intake does with one request: answer with a status, hold it until released, hang up, or
 * take the batch and answer only after `lateMs` (a slow intake: the batch is stored either way).
 */
export type IntakeBehaviour = number | "stall" | "hang-up" | "late";

export interface ReceivedBatch {
  intakeKey: string;
  jsons: string[];
  /** Bytes of the request body once decompressed: what the 9 MiB limit is about. */
  bodyBytes: number;
  contentEncoding: string | undefined;
}

/**
 * A local stand-in for intake.sekoia.io's `POST /batch`: records accepted batches and answers each
 * request as planned (the plan's next entry, then `fallback`), so tests can script outages.
 */
export class TestIntake {
  readonly accepted: ReceivedBatch[] = [];
  /** Every request that arrived, whatever the answer. */
  requests = 0;
  plan: IntakeBehaviour[] = [];
  fallback: IntakeBehaviour = 200;
  /** Headers added to error answers, e.g. Retry-After. */
  errorHeaders: Record<string, string> = {};
  errorBody = '{"message":"unavailable"}';
  /** How long a "late" answer takes. */
  lateMs = 0;
  /** The body of a 200: an acknowledgement of every event unless a test says otherwise. */
  acknowledge: (jsons: string[]) => unknown = (jsons) => ({
    event_ids: jsons.map((_, i) => `id-${this.accepted.length}-${i}`),
  });
  /** Bodies over this many bytes are answered 413, like a proxy's limit. */
  maxBodyBytes = Number.POSITIVE_INFINITY;
  /** A batch holding an event this says is bad is answered 400, naming the event, and stored not at all. */
  refuses: (json: string) => boolean = () => false;
  /** When each request arrived (ms since the epoch). */
  readonly arrivedAt: number[] = [];
  /** When a client gave up waiting for an answer (a timeout), the request already taken. */
  readonly abandonedAt: number[] = [];
  private readonly stalled: ((status: number) => void)[] = [];
  private readonly server: Server;
  private arrivals: (() => void)[] = [];

  private constructor() {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  static async start(): Promise<TestIntake> {
    const intake = new TestIntake();
    await new Promise<void>((resolve) => intake.server.listen(0, "127.0.0.1", resolve));
    return intake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get stalledCount(): number {
    return this.stalled.length;
  }

  /** Every event accepted so far, in arrival order. */
  events(): string[] {
    return this.accepted.flatMap((batch) => batch.jsons);
  }

  /** Answers the stalled requests, 200 unless told otherwise. */
  release(status = 200): void {
    for (const answer of this.stalled.splice(0)) answer(status);
  }

  /** Resolves once `condition` holds, checked after each request arrives or completes. */
  async until(condition: () => boolean): Promise<void> {
    while (!condition()) await new Promise<void>((resolve) => this.arrivals.push(resolve));
  }

  async stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A batch the intake may take: unless too large or holding a refused event, stored and acknowledged. */
  private async take(req: IncomingMessage, raw: Buffer, res: ServerResponse, status: 200 | "late") {
    const encoding = req.headers["content-encoding"];
    const body = encoding === "gzip" ? gunzipSync(raw) : raw;
    if (body.length > this.maxBodyBytes) {
      res
        .writeHead(413, { "content-type": "text/html" })
        .end("<html><body>413 Request Entity Too Large</body></html>");
      return;
    }
    const { intake_key, jsons } = JSON.parse(body.toString("utf8")) as {
      intake_key: string;
      jsons: string[];
    };
    const refused = jsons.findIndex(this.refuses);
    if (refused >= 0) {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: `jsons[${refused}] is not a valid event` }));
      return;
    }
    this.accepted.push({ intakeKey: intake_key, jsons, bodyBytes: body.length, contentEncoding: encoding });
    const answer = JSON.stringify(this.acknowledge(jsons));
    if (status === "late") {
      res.once("close", () => {
        if (!res.writableFinished) this.abandonedAt.push(Date.now());
      });
      await new Promise((resolve) => setTimeout(resolve, this.lateMs));
    }
    res.writeHead(200, { "content-type": "application/json" }).end(answer);
  }

  private changed(): void {
    const waiters = this.arrivals;
    this.arrivals = [];
    for (const wake of waiters) wake();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    this.requests++;
    this.arrivedAt.push(Date.now());
    const behaviour = this.plan.shift() ?? this.fallback;
    if (behaviour === "hang-up") {
      req.socket.destroy();
      this.changed();
      return;
    }
    const status =
      behaviour === "stall"
        ? await new Promise<number>((resolve) => {
            this.stalled.push(resolve);
            this.changed();
          })
        : behaviour;
    if (req.method !== "POST" || req.url !== "/batch") {
      res.writeHead(404).end();
    } else if (status !== 200 && status !== "late") {
      res.writeHead(status, { "content-type": "application/json", ...this.errorHeaders }).end(this.errorBody);
    } else {
      await this.take(req, Buffer.concat(chunks), res, status);
    }
    this.changed();
  }
}
