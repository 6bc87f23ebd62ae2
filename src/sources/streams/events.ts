import { type EventOrigin, OBJECT_KEY, type SourceEvent } from "../../core/event.js";
import type { StreamEvent } from "../../salesforce/pubsub/index.js";
import type { StreamKind } from "./catalog.js";

/**
 * The date-times of a Real-Time Event Monitoring event: Avro longs (epoch milliseconds) on the
 * stream, ISO 8601 in the storage object. Written as the storage object writes them, so that an
 * event reads the same, raw or in ECS, whichever way it came.
 */
const DATE_TIMES = ["EventDate", "CreatedDate"] as const;

/**
 * A streamed event as the storage object's record: the same fields, date-times as ISO 8601, and
 * the key naming the object (the stream's own name when it has no storage object). Its identity is
 * EventIdentifier, which the stream and the storage object share: a gap's backfill skips what the
 * stream delivered by it.
 */
export function streamedEvent(
  kind: StreamKind,
  event: StreamEvent,
  origin: EventOrigin,
  line: number,
): SourceEvent {
  const record: Record<string, unknown> = event.record;
  for (const name of DATE_TIMES) {
    const value = record[name];
    if (typeof value === "number") record[name] = new Date(value).toISOString();
  }
  record[OBJECT_KEY] = kind.storage?.name ?? kind.name;
  const identity = record.EventIdentifier;
  return {
    origin,
    line,
    json: JSON.stringify(record),
    fields: { kind: "record", record },
    identity: typeof identity === "string" && identity !== "" ? identity : undefined,
  };
}

/** The event's EventDate in epoch ms, when it has one. */
export function eventDate(event: SourceEvent): number | undefined {
  if (event.fields.kind !== "record") return undefined;
  const value = event.fields.record.EventDate;
  const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
}
