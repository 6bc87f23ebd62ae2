import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for a Sekoia.io intake's `POST /batch` endpoint, for the demo, the tests and the
 * benchmark: it checks the intake key, acknowledges like the real one (`{"event_ids": [...]}`), and can
 * misbehave on demand: an HTTP status for the next N batches, a delay before answering, a 200 that
 * acknowledges nothing, a body-size limit (413), or a refusal (400) of batches holding some event.
 */
export interface LocalIntakeOptions {
  port?: number;
  /** The key it accepts; any other is answered 401. Undefined accepts every key. */
  intakeKey?: string;
  /** Keep every received event (tests); otherwise only counts are kept (benchmark). */
  keepEvents?: boolean;
  /** Called with each accepted batch's events, before the acknowledgement. */
  onBatch?: (events: string[]) => void | Promise<void>;
}

export interface LocalIntake {
  readonly url: string;
  readonly events: string[];
  readonly stats: { batches: number; events: number; bytes: number; rejected: number };
  /** The next `times` batches are answered with `status` (503 gets an HTML body, like an edge proxy). */
  failNext(status: number, times: number): void;
  /**
   * Waits `ms` before answering each batch, or only the next `times` ones (0 to stop). The batch is
   * stored after the wait even when the client has given up meanwhile, as a slow intake would.
   */
  delay(ms: number, times?: number): void;
  /** Answers every batch 200 with `body` instead of an acknowledgement, storing nothing (undefined to stop). */
  acknowledgeWith(body: unknown): void;
  /** Answers 413 to request bodies over `bytes` bytes, like a proxy's limit (undefined to stop). */
  limitBody(bytes: number | undefined): void;
  /** Answers 400, naming the event, to a batch holding an event `refused` matches (undefined to stop). */
  refuse(refused: ((event: string) => boolean) | undefined): void;
  close(): Promise<void>;
}

export async function startLocalIntake(options: LocalIntakeOptions = {}): Promise<LocalIntake> {
  const events: string[] = [];
  const stats = { batches: 0, events: 0, bytes: 0, rejected: 0 };
  let failures: { status: number; times: number } | undefined;
  let delays: { ms: number; times: number } = { ms: 0, times: 0 };
  let notAcknowledgement: { body: unknown } | undefined;
  let maxBodyBytes = Number.POSITIVE_INFINITY;
  let refused: ((event: string) => boolean) | undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (delays.ms > 0 && delays.times > 0) {
      delays.times--;
      await new Promise((r) => setTimeout(r, delays.ms));
    }
    const reply = (status: number, payload: unknown, type = "application/json") => {
      res.writeHead(status, { "content-type": type });
      res.end(typeof payload === "string" ? payload : JSON.stringify(payload));
    };
    if (req.method !== "POST" || req.url !== "/batch") return reply(404, { message: "Not Found" });
    if (failures && failures.times > 0) {
      failures.times--;
      stats.rejected++;
      if (failures.status === 503)
        return reply(503, "<html><body>503 Service Unavailable</body></html>", "text/html");
      return reply(failures.status, { message: "simulated failure" });
    }
    if (body.length > maxBodyBytes) {
      stats.rejected++;
      return reply(413, "<html><body>413 Request Entity Too Large</body></html>", "text/html");
    }
    let parsed: { intake_key?: unknown; jsons?: unknown };
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      return reply(400, { message: "Body is not valid JSON" });
    }
    if (options.intakeKey !== undefined && parsed.intake_key !== options.intakeKey) {
      stats.rejected++;
      return reply(401, { message: "Invalid intake key" });
    }
    if (!Array.isArray(parsed.jsons) || parsed.jsons.some((j) => typeof j !== "string")) {
      return reply(400, { message: "jsons must be an array of strings" });
    }
    const batch = parsed.jsons as string[];
    const first = refused ? batch.findIndex(refused) : -1;
    if (first >= 0) {
      stats.rejected++;
      return reply(400, { message: `jsons[${first}]: the event cannot be parsed by the intake's format` });
    }
    if (notAcknowledgement) {
      stats.rejected++;
      return reply(200, notAcknowledgement.body);
    }
    await options.onBatch?.(batch);
    stats.batches++;
    stats.events += batch.length;
    stats.bytes += body.length;
    if (options.keepEvents) for (const e of batch) events.push(e);
    reply(200, { received: true, event_ids: batch.map((_, i) => `${stats.batches}-${i}`) });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    events,
    stats,
    failNext: (status, times) => {
      failures = { status, times };
    },
    delay: (ms, times = Number.POSITIVE_INFINITY) => {
      delays = { ms, times };
    },
    acknowledgeWith: (body) => {
      notAcknowledgement = body === undefined ? undefined : { body };
    },
    limitBody: (bytes) => {
      maxBodyBytes = bytes ?? Number.POSITIVE_INFINITY;
    },
    refuse: (match) => {
      refused = match;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
