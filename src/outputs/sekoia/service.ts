import { promisify } from "node:util";
import { constants, gzip } from "node:zlib";
import { type Dispatcher, request } from "undici";
import { secrets } from "../../observability/logger.js";
import { NetworkError, toNetworkError } from "../../http/network-error.js";
import { readCapped, retryAfterMs } from "../../http/response.js";

const gzipAsync = promisify(gzip);

/** What the intake made of one request. */
export type IntakeAnswer =
  | { kind: "accepted" }
  /** Worth another try later: 429, 408, 5xx, or no answer at all. */
  | { kind: "unavailable"; reason: string; retryAfterMs?: number }
  | { kind: "key-rejected"; status: number }
  /** A certificate that is not trusted: a missing CA bundle, which no retry fixes. */
  | { kind: "untrusted"; reason: string }
  /** A 4xx other than the key: sending the same batch again cannot help. */
  | { kind: "refused"; status: number; detail: string };

export interface IntakeServiceOptions {
  url: string;
  dispatcher?: Dispatcher;
  requestTimeoutMs: number;
  compression: "gzip" | "none";
}

const ERROR_EXCERPT_CHARS = 300;
const ERROR_BODY_BYTES = 4096;

/** One HTTP exchange with `POST {url}/batch`, its answer sorted into what the sender should do. */
export class IntakeService {
  readonly endpoint: string;

  constructor(private readonly options: IntakeServiceOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, "")}/batch`;
  }

  /** Compresses once, so that retries of the same batch cost no CPU. */
  async prepare(body: Buffer): Promise<Buffer> {
    if (this.options.compression === "none") return body;
    // Level 1: most of the size gain for a fraction of the CPU of the default level.
    return gzipAsync(body, { level: constants.Z_BEST_SPEED });
  }

  async send(
    payload: Buffer,
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
      if (signal.aborted) throw err;
      const failure = toNetworkError(err, new URL(this.endpoint).origin);
      if (failure instanceof NetworkError && !failure.transient) {
        return { kind: "untrusted", reason: failure.message };
      }
      return { kind: "unavailable", reason: networkReason(err) };
    }
    const { statusCode } = response;
    if (statusCode >= 200 && statusCode < 300) {
      await response.body.dump();
      return { kind: "accepted" };
    }
    // An error page can be large; a few kilobytes say what went wrong.
    const text = await readCapped(response.body, ERROR_BODY_BYTES).catch(() => "");
    const excerpt = secrets.redact(text).slice(0, ERROR_EXCERPT_CHARS).replace(/\s+/g, " ").trim();
    if (statusCode === 401 || statusCode === 403) return { kind: "key-rejected", status: statusCode };
    if (statusCode === 429 || statusCode === 408 || statusCode >= 500) {
      return {
        kind: "unavailable",
        reason: `HTTP ${statusCode}${excerpt ? `: ${excerpt}` : ""}`,
        retryAfterMs: retryAfterMs(response.headers),
      };
    }
    // Sekoia.io's documentation does not say how a wrong key is answered; a 400 that names the key
    // is taken for one, so the user is told to fix the key rather than shown a generic refusal.
    if (statusCode === 400 && /intake[ _-]?key/i.test(text))
      return { kind: "key-rejected", status: statusCode };
    return { kind: "refused", status: statusCode, detail: excerpt };
  }
}

/** "connection refused (ECONNREFUSED)" rather than undici's class names. */
function networkReason(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code ?? e.code;
  const message = e.cause?.message ?? e.message ?? String(err);
  return secrets.redact(code && !message.includes(code) ? `${message} (${code})` : message);
}
