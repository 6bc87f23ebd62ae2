import { secrets } from "../../observability/logger.js";
import type { BodyFormat } from "./body.js";

/** What a destination made of one request, sorted into what the sender should do. */
export type BatchAnswer =
  /** Every event of the request was taken, as the destination's acknowledgement says. */
  | { kind: "accepted" }
  /**
   * Worth another try later: 429, 408, 5xx, or no answer at all. `timedOut` means the request went
   * out and no answer came in time: the destination may have stored it, so sending it again may duplicate.
   */
  | { kind: "unavailable"; reason: string; retryAfterMs?: number; timedOut?: boolean }
  /** A 2xx that does not say every event was taken: nothing may be counted as delivered. */
  | { kind: "unacknowledged"; reason: string }
  /** The destination refuses the key or token the requests carry. */
  | { kind: "credentials-rejected"; status: number }
  /** A certificate that is not trusted: a missing CA bundle, which no retry fixes. */
  | { kind: "untrusted"; reason: string }
  /** A 400 or 422: the destination refuses what the batch holds, perhaps only some of its events. */
  | { kind: "refused"; status: number; detail: string }
  /** A 413: the body is over the destination's (or a proxy's) size limit. */
  | { kind: "too-large"; detail: string }
  /** Any other 4xx (404, 405, 407...): the URL or the path to it is wrong, whatever the batch. */
  | { kind: "misdirected"; status: number; detail: string };

/** The words log lines and errors name a destination with, so that each reads as its own. */
export interface DestinationWords {
  /** Who runs it: "Sekoia.io" (in "Sekoia.io refused a batch", "the Sekoia.io output"). */
  vendor: string;
  /** What takes the batches: "intake" (in "the Sekoia.io intake is unavailable"). */
  receiver: string;
  /** The fix of a wrong address: "Check outputs.sekoia.url (the intake's base URL, without /batch)". */
  checkUrl: string;
  /** The configuration key of the largest body, named when a proxy's limit is met. */
  maxBatchBytesKey: string;
  /** What a rejected key or token means, with its fix. */
  credentialsRejected: string;
}

/**
 * What makes one HTTP batch destination itself; the batching, retries and splits are shared
 * (see HttpBatchOutput). A second HTTP output supplies one of these.
 */
export interface BatchProtocol {
  readonly words: DestinationWords;
  /** How a request body lays out its events. */
  readonly body: BodyFormat;
  readonly contentType: string;
  /** How much of a 2xx answer to a request of `events` events is read, at most. */
  acknowledgementBytes(events: number): number;
  /**
   * A 2xx answer of at most `limit` bytes (one more means it was longer): `accepted` only when it
   * says that every one of the `events` events was taken, else `unacknowledged` with what came back.
   */
  acknowledgement(status: number, text: string, events: number, limit: number): BatchAnswer;
  /**
   * An error answer that the destination words its own way (a 400 that names the key), read before
   * the usual meanings of HTTP statuses; undefined leaves it to them.
   */
  errorAnswer?(status: number, text: string, detail: string): BatchAnswer | undefined;
}

/** An error page can be large; a few kilobytes say what went wrong. */
export const ERROR_BODY_BYTES = 4096;
const ERROR_EXCERPT_CHARS = 300;

/** A few hundred characters of an answer, on one line, secrets redacted: enough to say what came back. */
export function excerpt(text: string): string {
  return secrets.redact(text).slice(0, ERROR_EXCERPT_CHARS).replace(/\s+/g, " ").trim();
}
