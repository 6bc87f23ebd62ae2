import type { BodyFormat } from "../http-batch/body.js";
import { type BatchAnswer, type BatchProtocol, ERROR_BODY_BYTES, excerpt } from "../http-batch/protocol.js";

/**
 * What makes a Sekoia.io intake itself: the body of `POST /batch`, how it acknowledges a batch and
 * how it says that the key is wrong. Batching, retries and splits are http-batch's.
 */

export const KEY_REJECTED =
  "Sekoia.io rejected the intake key: check outputs.sekoia.intake_key; it is the key of an intake created from the Salesforce format.";

/**
 * Room for one event id in an acknowledgement: Sekoia.io's are UUIDs (about 40 bytes with quotes and
 * comma); a generous bound keeps the read of a 5,000-event answer under 1.3 MB.
 */
const ACK_BYTES_PER_EVENT = 256;

/** `POST {url}/batch`, however many slashes end the base URL. */
export function intakeEndpoint(url: string): string {
  return `${url.replace(/\/+$/, "")}/batch`;
}

/**
 * `{"intake_key":KEY,"jsons":["<event>",...]}`: each event is its JSON text as a JSON string, so the
 * intake receives the event exactly as it was read.
 */
export function intakeBody(intakeKey: string): BodyFormat {
  return {
    head: Buffer.from(`{"intake_key":${JSON.stringify(intakeKey)},"jsons":[`),
    separator: Buffer.from(","),
    tail: Buffer.from("]}"),
    item: (eventJson) => JSON.stringify(eventJson),
    event: (item) => JSON.parse(item) as string,
  };
}

export function intakeProtocol(intakeKey: string): BatchProtocol {
  return {
    words: {
      vendor: "Sekoia.io",
      receiver: "intake",
      checkUrl: "Check outputs.sekoia.url (the intake's base URL, without /batch)",
      maxBatchBytesKey: "outputs.sekoia.max_batch_bytes",
      credentialsRejected: KEY_REJECTED,
    },
    body: intakeBody(intakeKey),
    contentType: "application/json",
    acknowledgementBytes: (events) => ERROR_BODY_BYTES + events * ACK_BYTES_PER_EVENT,
    acknowledgement,
    errorAnswer(status, text) {
      // Sekoia.io's documentation does not say how a wrong key is answered; a 400 that names the key
      // is taken for one, so the user is told to fix the key rather than shown a generic refusal.
      if (status === 400 && /intake[ _-]?key/i.test(text)) return { kind: "credentials-rejected", status };
      return undefined;
    },
  };
}

/**
 * Sekoia.io answers a batch it took with `{"event_ids": [...]}`, one id per event. Anything else
 * (an error object, a proxy's page, fewer ids) leaves the events unaccounted for.
 */
function acknowledgement(status: number, text: string, events: number, limit: number): BatchAnswer {
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
