import { type ObjectKind, objectKind } from "../objects/catalog.js";

/**
 * The Real-Time Event Monitoring streams the streams source subscribes to, each with the storage
 * object Salesforce writes the same events to (same EventIdentifier), which fills the stream's gaps.
 * A stream without one (ConcurLongRunApexErrEvent) can only report a gap.
 */
export interface StreamKind {
  /** The Pub/Sub topic: `/event/LoginEventStream`. */
  topic: string;
  /** The event's name, which the source is keyed by: `LoginEventStream`. */
  name: string;
  storage: ObjectKind | undefined;
}

/** Why a user may not subscribe to a topic GetTopic says it cannot, in Salesforce's words. */
export function cannotSubscribe(kind: StreamKind): string {
  return `This user may not subscribe to ${kind.topic}: it needs the 'View Real-Time Event Monitoring Data' permission, and 'Enable Streaming' for the event in Setup > Event Manager.`;
}

const stream = (name: string, storage?: string): StreamKind => ({
  topic: `/event/${name}`,
  name,
  storage: storage === undefined ? undefined : objectKind(storage),
});

export const STREAM_KINDS: readonly StreamKind[] = [
  stream("LoginEventStream", "LoginEvent"),
  stream("LogoutEventStream", "LogoutEvent"),
  stream("LoginAsEventStream", "LoginAsEvent"),
  stream("ApiEventStream", "ApiEvent"),
  stream("ReportEventStream", "ReportEvent"),
  stream("ListViewEventStream", "ListViewEvent"),
  stream("UriEventStream", "UriEvent"),
  stream("LightningUriEventStream", "LightningUriEvent"),
  stream("FileEvent", "FileEventStore"),
  stream("PermissionSetEvent", "PermissionSetEventStore"),
  stream("BulkApiResultEvent", "BulkApiResultEventStore"),
  stream("ApiAnomalyEvent", "ApiAnomalyEventStore"),
  stream("CredentialStuffingEvent", "CredentialStuffingEventStore"),
  stream("ReportAnomalyEvent", "ReportAnomalyEventStore"),
  stream("SessionHijackingEvent", "SessionHijackingEventStore"),
  stream("ConcurLongRunApexErrEvent"),
];

const BY_TOPIC = new Map(STREAM_KINDS.map((kind) => [kind.topic.toLowerCase(), kind]));

/** The stream a configured topic names: `/event/LoginEventStream`, or just `LoginEventStream`. */
export function streamKind(topic: string): StreamKind | undefined {
  const full = topic.startsWith("/event/") ? topic : `/event/${topic}`;
  return BY_TOPIC.get(full.toLowerCase());
}
