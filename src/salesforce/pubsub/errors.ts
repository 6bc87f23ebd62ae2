import { type Metadata, status as Status, type ServiceError } from "@grpc/grpc-js";
import { type ErrorAction, ExplainedError } from "../../core/errors.js";
import { ERROR_CODE_PREFIX, ERROR_CODE_TRAILER } from "./proto.js";

/**
 * What a failed Pub/Sub call means for the caller:
 * - replay-refused: the replay id to resume from is expired or not this topic's; start elsewhere.
 * - auth: the access token was refused; a new one has been asked for, the next call uses it.
 * - transient: the stream broke off or the service is busy; subscribe again after a pause.
 * - fatal: the org or the user lacks something (topic, permission, licence, allocation); only a
 *   change in Salesforce helps.
 */
export type PubSubErrorKind = "replay-refused" | "auth" | "transient" | "fatal";

const ACTION: Record<PubSubErrorKind, ErrorAction> = {
  // The events after that replay id have aged out (or it was never valid): that unit is gone.
  "replay-refused": "skip-unit",
  auth: "retry-unit",
  transient: "retry-unit",
  fatal: "stop",
};

/** A failed Pub/Sub API call; the message says what happened and what to do, never a token. */
export class PubSubError extends ExplainedError {
  constructor(
    message: string,
    /** The `error-code` trailer, e.g. sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted. */
    readonly code: string | undefined,
    /** The gRPC status code. */
    readonly status: number,
    readonly kind: PubSubErrorKind,
    options?: { cause?: unknown },
  ) {
    super(message, ACTION[kind], options);
  }
}

const REPLAY_REFUSED = new Set([
  "subscription.fetch.replayid.corrupted",
  "subscription.fetch.replayid.validation.failed",
]);

/** Codes that describe passing trouble at Salesforce's end. */
const TRANSIENT = new Set([
  "service.unavailable",
  "service.protection.triggered",
  "service.protection.stream.limit.triggered",
  "topic.api.unavailable",
  "schema.api.unavailable",
  "subscription.internal.error",
]);

/** Statuses that say nothing is wrong with the request itself. */
const TRANSIENT_STATUS = new Set<number>([
  Status.UNAVAILABLE,
  Status.DEADLINE_EXCEEDED,
  Status.ABORTED,
  Status.INTERNAL,
  Status.UNKNOWN,
  Status.CANCELLED,
  Status.RESOURCE_EXHAUSTED,
]);

const PERMISSION_FIX =
  'give the integration user the "View Real-Time Event Monitoring Data" permission, and turn on "Enable Streaming" for the event in Setup > Event Manager';

/** What to do, for the codes whose fix is known (the prefix left off). */
const ADVICE: Record<string, (topic: string) => string> = {
  "topic.not.found": (t) =>
    `The topic ${t} does not exist in this org: check its name (e.g. /event/LoginEventStream), and that the org has Real-Time Event Monitoring (Shield or the Event Monitoring add-on).`,
  "topic.meta.permission": (t) => `The integration user may not read ${t}: ${PERMISSION_FIX}.`,
  "schema.meta.permission": (t) => `The integration user may not read the schema of ${t}: ${PERMISSION_FIX}.`,
  "subscription.topic.cannot.subscribe": (t) =>
    `The integration user may not subscribe to ${t}: ${PERMISSION_FIX}.`,
  "service.tenant.license": (t) =>
    `The org's licence does not include the Pub/Sub stream of ${t}: Real-Time Event Monitoring needs Shield or the Event Monitoring add-on.`,
  "subscription.limit.exceeded": () =>
    "The org has used up its event delivery allocation; wait until it resets (daily) or add delivery allocation, and check which other subscribers use it.",
  "concurrent.client.limit.exceeded": () =>
    "Too many Pub/Sub clients are connected to this org at once: stop other subscribers, or run fewer sfevents instances against it.",
  "subscription.fetch.replayid.corrupted": (t) =>
    `Salesforce refused the replay id to resume ${t} from: it is older than the stream's retention (about 3 days) or not one of this topic's. Start again from EARLIEST (events older than the retention are lost) or LATEST.`,
  "subscription.fetch.replayid.validation.failed": (t) =>
    `Salesforce refused the subscription to ${t}: a CUSTOM start needs a valid replay id. Start from EARLIEST or LATEST instead.`,
};

/** The code without its common prefix, for lookups. */
function shortCode(code: string | undefined): string | undefined {
  return code?.startsWith(ERROR_CODE_PREFIX) ? code.slice(ERROR_CODE_PREFIX.length) : code;
}

export function kindOf(status: number, code: string | undefined): PubSubErrorKind {
  const short = shortCode(code);
  if (short !== undefined && REPLAY_REFUSED.has(short)) return "replay-refused";
  if (status === Status.UNAUTHENTICATED || short?.startsWith("service.auth.")) return "auth";
  if (short !== undefined && TRANSIENT.has(short)) return "transient";
  if (short !== undefined && ADVICE[short] !== undefined) return "fatal";
  return TRANSIENT_STATUS.has(status) ? "transient" : "fatal";
}

const STATUS_NAME = new Map<number, string>(
  Object.entries(Status)
    .filter(([, v]) => typeof v === "number")
    .map(([k, v]) => [v as number, k]),
);

/** The first `error-code` value of a call's trailers. */
export function errorCodeOf(metadata: Metadata | undefined): string | undefined {
  const value = metadata?.get(ERROR_CODE_TRAILER)[0];
  return value === undefined ? undefined : String(value);
}

/**
 * A PubSubError for a call that failed with `err`: Salesforce's code and message (its `rpcId:` part
 * kept, which Support asks for), then what to do.
 */
export function pubSubError(err: ServiceError, call: string, topic: string): PubSubError {
  const code = errorCodeOf(err.metadata);
  const kind = kindOf(err.code, code);
  const said = [STATUS_NAME.get(err.code) ?? `status ${err.code}`, code].filter(Boolean).join(" ");
  const detail = err.details ? `: ${err.details}` : "";
  const advice = ADVICE[shortCode(code) ?? ""]?.(topic) ?? adviceFor(kind, err.code, topic);
  return new PubSubError(`Pub/Sub ${call} failed with ${said}${detail}. ${advice}`, code, err.code, kind, {
    cause: err,
  });
}

function adviceFor(kind: PubSubErrorKind, status: number, topic: string): string {
  switch (kind) {
    case "auth":
      return "Salesforce refused the access token (expired or revoked); a new one was requested and the next subscription uses it.";
    case "transient":
      return `The stream of ${topic} broke off or the service is busy; subscribe again after a pause.`;
    case "replay-refused":
      return `Start ${topic} from EARLIEST or LATEST instead.`;
    case "fatal":
      return status === Status.PERMISSION_DENIED
        ? `The integration user may not use ${topic}: ${PERMISSION_FIX}.`
        : `Retrying cannot help until the request or the org changes; check the topic name and the org's Event Monitoring setup.`;
  }
}

/** The stream said nothing, not even a keepalive, for `quietMs`. */
export function quietError(topic: string, quietMs: number): PubSubError {
  return new PubSubError(
    `The Pub/Sub stream of ${topic} sent nothing for ${Math.round(quietMs / 1000)} s, not even a keepalive (Salesforce sends one within 270 s), so it was cancelled; subscribe again.`,
    undefined,
    Status.DEADLINE_EXCEEDED,
    "transient",
  );
}

/** The server closed the stream with an OK status, which Salesforce does not do while events are wanted. */
export function endedError(topic: string): PubSubError {
  return new PubSubError(
    `Salesforce ended the Pub/Sub stream of ${topic} without an error; subscribe again.`,
    undefined,
    Status.OK,
    "transient",
  );
}
