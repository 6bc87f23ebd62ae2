import { createHash } from "node:crypto";
import type avro from "avsc";
import { parseSchema } from "../../salesforce/pubsub/avro.js";
import { type MonitoringObjects, type ObjectSpec, objectSpec, type Slot } from "../objects/index.js";
import type { SoqlFieldType, SoqlRecord } from "../soql/index.js";

/**
 * The Pub/Sub topics of the simulated org: Real-Time Event Monitoring streams, each publishing the
 * very rows of its storage object (same EventIdentifier, same values), plus
 * ConcurLongRunApexErrEvent, which has no storage object. A topic's events are never stored: they
 * are rebuilt from their slots, like the objects' rows.
 */

/** Streaming event → the storage object that keeps its rows. */
const STORED: readonly (readonly [string, string])[] = [
  ["LoginEventStream", "LoginEvent"],
  ["LogoutEventStream", "LogoutEvent"],
  ["LoginAsEventStream", "LoginAsEvent"],
  ["ApiEventStream", "ApiEvent"],
  ["ReportEventStream", "ReportEvent"],
  ["ListViewEventStream", "ListViewEvent"],
  ["UriEventStream", "UriEvent"],
  ["LightningUriEventStream", "LightningUriEvent"],
  ["FileEvent", "FileEventStore"],
  ["PermissionSetEvent", "PermissionSetEventStore"],
  ["BulkApiResultEvent", "BulkApiResultEventStore"],
  ["ApiAnomalyEvent", "ApiAnomalyEventStore"],
  ["CredentialStuffingEvent", "CredentialStuffingEventStore"],
  ["ReportAnomalyEvent", "ReportAnomalyEventStore"],
  ["SessionHijackingEvent", "SessionHijackingEventStore"],
];

export interface TopicField {
  name: string;
  type: SoqlFieldType;
}

/** One topic: its schema, and its events as slots in stream order. */
export interface Topic {
  /** /event/LoginEventStream */
  name: string;
  /** The storage object, when there is one. */
  object: ObjectSpec | undefined;
  /** Stable id of the schema: the same schema JSON always has the same id. */
  schemaId: string;
  schemaJson: string;
  /** Events that happened in (lo, hi], in stream order. */
  slots(lo: number, hi: number): Generator<Slot>;
  /** The event of a slot, every field of the schema. */
  record(slot: Slot): SoqlRecord;
  /** Avro binary of a record. */
  encode(record: SoqlRecord): Buffer;
}

const AVRO_TYPE: Record<SoqlFieldType, string> = {
  id: "string",
  string: "string",
  picklist: "string",
  reference: "string",
  base64: "string",
  int: "int",
  double: "double",
  boolean: "boolean",
  date: "long",
  datetime: "long",
};

/** A streaming event's schema: every field nullable, datetimes as epoch milliseconds. */
export function eventSchema(eventName: string, fields: readonly TopicField[]): object {
  return {
    type: "record",
    name: eventName,
    namespace: "com.sforce.eventbus",
    fields: fields.map((f) => ({
      name: f.name,
      type: ["null", AVRO_TYPE[f.type]],
      default: null,
      ...(f.type === "datetime" || f.type === "date" ? { doc: "epoch milliseconds, UTC" } : {}),
    })),
  };
}

/** Builds a topic from its fields and where its events come from. */
export function makeTopic(
  eventName: string,
  object: ObjectSpec | undefined,
  fields: readonly TopicField[],
  slots: (lo: number, hi: number) => Generator<Slot>,
  record: (slot: Slot) => SoqlRecord,
): Topic {
  const schemaJson = JSON.stringify(eventSchema(eventName, fields));
  const type: avro.Type = parseSchema(schemaJson);
  const names = fields.map((f) => f.name);
  const branches = fields.map((f) => AVRO_TYPE[f.type]);
  return {
    name: `/event/${eventName}`,
    object,
    schemaId: createHash("sha256").update(schemaJson).digest("base64url").slice(0, 22),
    schemaJson,
    slots,
    record(slot) {
      const row = record(slot);
      return Object.fromEntries(names.map((n) => [n, row[n] ?? null]));
    },
    encode(row) {
      // Unions are written wrapped: {"string": "..."}; null stays null.
      const wrapped: Record<string, unknown> = {};
      names.forEach((n, i) => {
        const value = row[n];
        wrapped[n] = value === null || value === undefined ? null : { [branches[i]]: value };
      });
      return type.toBuffer(wrapped);
    },
  };
}

/** Events streamed without a storage object (ConcurLongRunApexErrEvent). */
export interface StreamOnlyEvents {
  eventName: string;
  fields: readonly TopicField[];
  slots(lo: number, hi: number): Generator<Slot>;
  record(slot: Slot): SoqlRecord;
}

/** Every topic the simulator can serve, by name; whether the org has one is asked separately. */
export function buildTopics(objects: MonitoringObjects, concur: StreamOnlyEvents): Map<string, Topic> {
  const topics = new Map<string, Topic>();
  for (const [eventName, objectName] of STORED) {
    const spec = objectSpec(objectName) as ObjectSpec;
    // A streamed event has no record Id: its identity is EventIdentifier.
    const fields = spec.fields.filter((f) => f.name !== "Id");
    const topic = makeTopic(
      eventName,
      spec,
      fields,
      (lo, hi) => objects.published(spec, lo, hi),
      (slot) => objects.record(spec, slot),
    );
    topics.set(topic.name, topic);
  }
  const topic = makeTopic(
    concur.eventName,
    undefined,
    concur.fields,
    (lo, hi) => concur.slots(lo, hi),
    (slot) => concur.record(slot),
  );
  topics.set(topic.name, topic);
  return topics;
}
