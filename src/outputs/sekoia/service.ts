import { promisify } from "node:util";
import { constants, gzip } from "node:zlib";
import { type Dispatcher, request } from "undici";
import { secrets } from "../../observability/logger.js";
import { NetworkError, toNetworkError } from "../../http/network-error.js";
import { readCapped, retryAfterMs } from "../../http/response.js";

const gzipAsync = promisify(gzip);

/** What the intake made of one request. */
export type IntakeAnswer =
  /** Every event of the request was taken: the answer holds one event id per event. */
  | { kind: "accepted" }
  /**
   * Worth another try later: 429, 408, 5xx, or no answer at all. `timedOut` means the request went
   * out and no answer came in time: the intake may have stored it, so sending it again may duplicate.
   */
  | { kind: "unavailable"; reason: string; retryAfterMs?: number; timedOut?: boolean }
  /** A 2xx that does not say every event was taken: nothing may be counted as delivered. */
  | { kind: "unacknowledged"; reason: string }
  | { kind: "key-rejected"; status: number }
  /** A certificate that is not trusted: a missing CA bundle, which no retry fixes. */
  | { kind: "untrusted"; reason: string }
  /** A 400 or 422: the intake refuses what the batch holds, perhaps only some of its events. */
  | { kind: "refused"; status: number; detail: string }
  /** A 413: the body is over the intake's (or a proxy's) size limit. */
  | { kind: "too-large"; detail: string }
  /** Any other 4xx (404, 405, 407...): the URL or the path to it is wrong, whatever the batch. */
  | { kind: "misdirected"; status: number; detail: string };

export interface IntakeServiceOptions {
  url: string;
  dispatcher?: Dispatcher;
  requestTimeoutMs: number;
  compression: "gzip" | "none";
}

const ERROR_EXCERPT_CHARS = 300;
const ERROR_BODY_BYTES = 4096;
/**
 * Room for one event id in an acknowledgement: Sekoia.io's are UUIDs (about 40 bytes with quotes and
 * comma); a generous bound keeps the read of a 5,000-event answer under 1.3 MB.
 */
const ACK_BYTES_PER_EVENT = 256;
const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/** One HTTP exchange with `POST {url}/batch`, its answer sorted into what the sender should do. */
export class IntakeService {
  readonly endpoint: string;

  constructor(private readonly options: IntakeServiceOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, "")}/batch`;
  }

  get requestTimeoutMs(): number {
    return this.options.requestTimeoutMs;
  }

  /** Compresses once, so that retries of the same batch cost no CPU. */
  async prepare(body: Buffer): Promise<Buffer> {
    if (this.options.compression === "none") return body;
    // Level 1: most of the size gain for a fraction of the CPU of the default level.
    return gzipAsync(body, { level: constants.Z_BEST_SPEED });
  }

  /** Sends one batch of `events` events and sorts the answer. */
  async send(
    payload: Buffer,
    events: number,
    signal: AbortSignal,
    timeoutMs = this.options.requestTimeoutMs,
  ): Promise<IntakeAnswer> {
    const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "sfevents" };
    if (this.options.compression === "gzip") headers["content-encoding"] = "gzip";
    let response: Dispatcher.ResponseData;
    try {
      response = await request(this.endpoint, {
        method: "POST",
        headers,
        body: payload,
        signal,
        dispatcher: this.options.dispatcher,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (err) {
      return this.noAnswer(err, signal);
    }
    const { statusCode } = response;
    if (statusCode >= 200 && statusCode < 300) {
      const limit = ERROR_BODY_BYTES + events * ACK_BYTES_PER_EVENT;
      let text: string;
      try {
        // One byte over the bound tells an answer too large from one that just fits.
        text = await readCapped(response.body, limit + 1);
      } catch (err) {
        return this.noAnswer(err, signal);
      }
      return acknowledgement(statusCode, text, events, limit);
    }
    // An error page can be large; a few kilobytes say what went wrong.
    const text = await readCapped(response.body, ERROR_BODY_BYTES).catch(() => "");
    const detail = excerpt(text);
    if (statusCode === 401 || statusCode === 403) return { kind: "key-rejected", status: statusCode };
    if (statusCode === 429 || statusCode === 408 || statusCode >= 500) {
      return {
        kind: "unavailable",
        reason: `HTTP ${statusCode}${detail ? `: ${detail}` : ""}`,
        retryAfterMs: retryAfterMs(response.headers),
      };
    }
    // Sekoia.io's documentation does not say how a wrong key is answered; a 400 that names the key
    // is taken for one, so the user is told to fix the key rather than shown a generic refusal.
    if (statusCode === 400 && /intake[ _-]?key/i.test(text))
      return { kind: "key-rejected", status: statusCode };
    if (statusCode === 413) return { kind: "too-large", detail };
    if (statusCode === 400 || statusCode === 422) return { kind: "refused", status: statusCode, detail };
    return { kind: "misdirected", status: statusCode, detail };
  }

  private noAnswer(err: unknown, signal: AbortSignal): IntakeAnswer {
    if (signal.aborted) throw err;
    const failure = toNetworkError(err, new URL(this.endpoint).origin);
    if (failure instanceof NetworkError && !failure.transient) {
      return { kind: "untrusted", reason: failure.message };
    }
    const timedOut = failure instanceof NetworkError && TIMEOUT_CODES.has(failure.code);
    return { kind: "unavailable", reason: networkReason(err), timedOut };
  }
}

/**
 * Sekoia.io answers a batch it took with `{"event_ids": [...]}`, one id per event. Anything else
 * (an error object, a proxy's page, fewer ids) leaves the events unaccounted for.
 */
function acknowledgement(status: number, text: string, events: number, limit: number): IntakeAnswer {
  const got = missingAcknowledgement(text, events, limit);
  if (got === undefined) return { kind: "accepted" };
  return {
    kind: "unacknowledged",
    reason: `HTTP ${status} that does not acknowledge the batch: expected {"event_ids": [...]} with ${ids(events)}, got ${got}`,
  };
}

/** What the answer holds instead of an acknowledgement of `events` events; undefined when it is one. */
function missingAcknowledgement(text: string, events: number, limit: number): string | undefined {
  if (Buffer.byteLength(text) > limit) return `an answer over ${limit} bytes`;
  let eventIds: unknown;
  try {
    eventIds = (JSON.parse(text) as { event_ids?: unknown } | null)?.event_ids;
  } catch {
    // Not JSON: shown as it is below.
  }
  if (Array.isArray(eventIds)) return eventIds.length === events ? undefined : ids(eventIds.length);
  return text.trim() ? excerpt(text) : "an empty body";
}

const ids = (n: number) => `${n} id${n === 1 ? "" : "s"}`;

/** A few hundred characters of an answer, on one line, secrets redacted: enough to say what came back. */
function excerpt(text: string): string {
  return secrets.redact(text).slice(0, ERROR_EXCERPT_CHARS).replace(/\s+/g, " ").trim();
}

/** "connection refused (ECONNREFUSED)" rather than undici's class names. */
function networkReason(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code ?? e.code;
  const message = e.cause?.message ?? e.message ?? String(err);
  return secrets.redact(code && !message.includes(code) ? `${message} (${code})` : message);
}
