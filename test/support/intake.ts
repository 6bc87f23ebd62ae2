import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/**
 * The one scriptable stand-in for intake.sekoia.io's `POST /batch` that tests use. (The simulator's
 * intake in src/simulator/sekoia-intake.ts is product code for `sfevents demo` and the benchmark;
 * only its own test uses it.)
 */

/** What the intake does with one request: answer with a status, hold it until released, or hang up. */
export type IntakeAnswer = number | "stall" | "hang-up";

export interface ReceivedBatch {
  intakeKey: string;
  jsons: string[];
  /** Bytes of the request body once decompressed: what the 9 MiB limit is about. */
  bodyBytes: number;
  contentEncoding: string | undefined;
  /** Whether the answer acknowledged every event ({"event_ids": [...]} with one id each). */
  acknowledged: boolean;
}

export interface FakeIntakeOptions {
  /** 0 (any free port) unless a test brings an intake back on the port of one it closed. */
  port?: number;
  /** The key it accepts; any other is answered 401. Undefined accepts every key. */
  intakeKey?: string;
  /** Keep the batches and events received (the default); off, only counts are kept. */
  keepEvents?: boolean;
  /** Called with each acknowledged batch's events, before the answer. */
  onBatch?: (jsons: string[]) => void;
}

/** Retry settings of an HTTP output small enough for tests: the schedule is exercised, the clock barely. */
export const FAST_INTAKE_RETRY = { initialDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 60_000 };

/** The answer of a healthy intake: an id for every event. */
export function acknowledgeAll(jsons: string[]): unknown {
  return { received: true, event_ids: jsons.map((_, i) => `id-${i}`) };
}

/**
 * Answers each request as scripted (the plan's next entry, then `fallback`), records what it took
 * and acknowledged, and counts the rest, so tests can script outages, slow answers and refusals.
 */
export class FakeIntake {
  /** Every batch taken (acknowledged or not), in arrival order; empty when events are not kept. */
  readonly batches: ReceivedBatch[] = [];
  /** The events of the acknowledged batches, in the order they were stored. */
  readonly events: string[] = [];
  /** Every request that arrived, whatever the answer. */
  requests = 0;
  /** Requests whose connection is still open, answered or not: 0 once every client has let go. */
  openRequests = 0;
  /** Batches acknowledged. */
  acknowledgedBatches = 0;
  /** Requests answered with anything but an acknowledgement (an error status, a hang-up, a 200 without ids). */
  refusals = 0;
  plan: IntakeAnswer[] = [];
  fallback: IntakeAnswer = 200;
  /** Headers added to error answers, e.g. Retry-After. */
  errorHeaders: Record<string, string> = {};
  errorBody = '{"message":"unavailable"}';
  /** The body of a 200. */
  acknowledge: (jsons: string[]) => unknown = acknowledgeAll;
  /** Bodies over this many bytes (decompressed) are answered 413, like a proxy's limit. */
  maxBodyBytes = Number.POSITIVE_INFINITY;
  /** A batch holding an event this says is bad is answered 400, naming the event, and stored not at all. */
  refuses: (json: string) => boolean = () => false;
  /** When each request arrived (ms since the epoch). */
  readonly arrivedAt: number[] = [];
  /** When a client gave up waiting for a delayed answer (a timeout), the request already taken. */
  readonly abandonedAt: number[] = [];
  private delays = { ms: 0, times: 0 };
  private readonly stalled: ((status: number) => void)[] = [];
  private readonly server: Server;
  private waiters: (() => void)[] = [];

  private constructor(private readonly options: FakeIntakeOptions) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
  }

  static async start(options: FakeIntakeOptions = {}): Promise<FakeIntake> {
    const intake = new FakeIntake(options);
    await new Promise<void>((resolve) => intake.server.listen(options.port ?? 0, "127.0.0.1", resolve));
    return intake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get stalledCount(): number {
    return this.stalled.length;
  }

  /**
   * Holds the answer to each of the next `times` requests for `ms` (0 to stop). The batch is taken
   * on arrival, so it is stored even when the client gives up waiting, as with a slow intake.
   */
  delay(ms: number, times = Number.POSITIVE_INFINITY): void {
    this.delays = { ms, times };
  }

  /** Answers the stalled requests, 200 unless told otherwise. */
  release(status = 200): void {
    for (const answer of this.stalled.splice(0)) answer(status);
  }

  /** Resolves once `condition` holds, checked after each request arrives or completes. */
  async until(condition: () => boolean): Promise<void> {
    while (!condition()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.openRequests++;
    res.once("close", () => {
      this.openRequests--;
      this.changed();
    });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    this.requests++;
    this.arrivedAt.push(Date.now());
    // Taken from the plan on arrival, so the plan follows the order requests arrive in.
    const planned = this.plan.shift() ?? this.fallback;
    if (planned === "hang-up") {
      this.refusals++;
      req.socket.destroy();
      this.changed();
      return;
    }
    const status =
      planned === "stall"
        ? await new Promise<number>((resolve) => {
            this.stalled.push(resolve);
            this.changed();
          })
        : planned;
    const answer = this.answer(req, Buffer.concat(chunks), status);
    this.changed();
    if (this.delays.ms > 0 && this.delays.times > 0) {
      this.delays.times--;
      res.once("close", () => {
        if (!res.writableFinished) this.abandonedAt.push(Date.now());
      });
      await new Promise((resolve) => setTimeout(resolve, this.delays.ms));
    }
    res.writeHead(answer.status, { "content-type": answer.type, ...answer.headers }).end(answer.body);
    this.changed();
  }

  /**
   * What the intake answers a request with `status` planned: an error as planned, else the batch is
   * taken unless too large, under another key or holding a refused event.
   */
  private answer(
    req: IncomingMessage,
    raw: Buffer,
    status: number,
  ): { status: number; type: string; body: string; headers?: Record<string, string> } {
    if (req.method !== "POST" || req.url !== "/batch") return { status: 404, type: "text/plain", body: "" };
    if (status !== 200) {
      this.refusals++;
      return { status, type: "application/json", body: this.errorBody, headers: this.errorHeaders };
    }
    const encoding = req.headers["content-encoding"];
    const body = encoding === "gzip" ? gunzipSync(raw) : raw;
    if (body.length > this.maxBodyBytes) {
      this.refusals++;
      return {
        status: 413,
        type: "text/html",
        body: "<html><body>413 Request Entity Too Large</body></html>",
      };
    }
    const { intake_key, jsons } = JSON.parse(body.toString("utf8")) as {
      intake_key: string;
      jsons: string[];
    };
    if (this.options.intakeKey !== undefined && intake_key !== this.options.intakeKey) {
      this.refusals++;
      return { status: 401, type: "application/json", body: '{"message":"Invalid intake key"}' };
    }
    const refused = jsons.findIndex(this.refuses);
    if (refused >= 0) {
      this.refusals++;
      const message = `jsons[${refused}] is not a valid event`;
      return { status: 400, type: "application/json", body: JSON.stringify({ message }) };
    }
    const answer = this.acknowledge(jsons);
    const ids = (answer as { event_ids?: unknown } | null)?.event_ids;
    const acknowledged = Array.isArray(ids) && ids.length === jsons.length;
    const keep = this.options.keepEvents ?? true;
    if (keep) {
      this.batches.push({
        intakeKey: intake_key,
        jsons,
        bodyBytes: body.length,
        contentEncoding: encoding,
        acknowledged,
      });
    }
    if (acknowledged) {
      this.acknowledgedBatches++;
      this.options.onBatch?.(jsons);
      if (keep) for (const json of jsons) this.events.push(json);
    } else {
      this.refusals++;
    }
    return { status: 200, type: "application/json", body: JSON.stringify(answer) };
  }

  private changed(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
