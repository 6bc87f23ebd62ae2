import { promisify } from "node:util";
import { constants, gzip } from "node:zlib";
import { type Dispatcher, request } from "undici";
import { secrets } from "../../observability/logger.js";
import { NetworkError, toNetworkError } from "../../http/network-error.js";
import { readCapped, retryAfterMs } from "../../http/response.js";
import { BatchBody } from "./body.js";
import { type BatchAnswer, type BatchProtocol, ERROR_BODY_BYTES, excerpt } from "./protocol.js";

const gzipAsync = promisify(gzip);

export interface BatchEndpointOptions {
  /** Where batches are POSTed. */
  endpoint: string;
  protocol: BatchProtocol;
  dispatcher?: Dispatcher;
  requestTimeoutMs: number;
  compression: "gzip" | "none";
}

const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/** One HTTP exchange with a batch endpoint, its answer sorted into what the sender should do. */
export class BatchEndpoint {
  readonly endpoint: string;
  readonly protocol: BatchProtocol;

  constructor(private readonly options: BatchEndpointOptions) {
    this.endpoint = options.endpoint;
    this.protocol = options.protocol;
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
  ): Promise<BatchAnswer> {
    const headers: Record<string, string> = {
      "content-type": this.protocol.contentType,
      "user-agent": "sfevents",
    };
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
      const limit = this.protocol.acknowledgementBytes(events);
      let text: string;
      try {
        // One byte over the bound tells an answer too large from one that just fits.
        text = await readCapped(response.body, limit + 1);
      } catch (err) {
        return this.noAnswer(err, signal);
      }
      return this.protocol.acknowledgement(statusCode, text, events, limit);
    }
    const text = await readCapped(response.body, ERROR_BODY_BYTES).catch(() => "");
    const detail = excerpt(text);
    const own = this.protocol.errorAnswer?.(statusCode, text, detail);
    if (own !== undefined) return own;
    if (statusCode === 401 || statusCode === 403) return { kind: "credentials-rejected", status: statusCode };
    if (statusCode === 429 || statusCode === 408 || statusCode >= 500) {
      return {
        kind: "unavailable",
        reason: `HTTP ${statusCode}${detail ? `: ${detail}` : ""}`,
        retryAfterMs: retryAfterMs(response.headers),
      };
    }
    if (statusCode === 413) return { kind: "too-large", detail };
    if (statusCode === 400 || statusCode === 422) return { kind: "refused", status: statusCode, detail };
    return { kind: "misdirected", status: statusCode, detail };
  }

  /**
   * Sends an empty batch, once, without retries: it reaches the destination and presents the
   * credentials without adding any event. What the answer proves is the destination's to say.
   */
  async sendEmpty(timeoutMs: number): Promise<BatchAnswer> {
    const { head, tail } = this.protocol.body;
    const empty = new BatchBody(this.protocol.body, Buffer.allocUnsafe(head.length + tail.length));
    return this.send(await this.prepare(empty.close()), 0, new AbortController().signal, timeoutMs);
  }

  private noAnswer(err: unknown, signal: AbortSignal): BatchAnswer {
    if (signal.aborted) throw err;
    const failure = toNetworkError(err, new URL(this.endpoint).origin);
    if (failure instanceof NetworkError && !failure.transient) {
      return { kind: "untrusted", reason: failure.message };
    }
    const timedOut = failure instanceof NetworkError && TIMEOUT_CODES.has(failure.code);
    return { kind: "unavailable", reason: networkReason(err), timedOut };
  }
}

/** "connection refused (ECONNREFUSED)" rather than undici's class names. */
function networkReason(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code ?? e.code;
  const message = e.cause?.message ?? e.message ?? String(err);
  return secrets.redact(code && !message.includes(code) ? `${message} (${code})` : message);
}
