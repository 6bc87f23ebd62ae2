import { OBJECT_KEY, type SourceEvent } from "../core/event.js";
import type { Normalizer, RowEncoder } from "./normalizer.js";

/**
 * An event's ECS document as JSON text, computed the first time any output asks and kept on the
 * event, so outputs that share a normalizer normalize each event once. Plans are compiled once per
 * header: the rows of a file share theirs, and files read side by side keep their own. Records
 * share their object's encoder, which the normalizer keeps.
 */
export function sharedEcs(normalizer: Normalizer): (event: SourceEvent) => string {
  const plans = new WeakMap<readonly string[], RowEncoder>();
  // Rows come a file's batch at a time: the last header is nearly always the next one's.
  let lastHeader: readonly string[] | undefined;
  let lastPlan: RowEncoder | undefined;
  const planFor = (event: SourceEvent, header: readonly string[]): RowEncoder => {
    if (header === lastHeader && lastPlan !== undefined) return lastPlan;
    let plan = plans.get(header);
    if (plan === undefined) {
      // One header is one file's, so one event type: the origin's, or the rows' EVENT_TYPE column.
      plan = normalizer.forHeader(header, event.origin.eventType);
      plans.set(header, plan);
    }
    lastHeader = header;
    lastPlan = plan;
    return plan;
  };
  return (event) => {
    if (event.ecs !== undefined) return event.ecs;
    const { fields } = event;
    if (fields.kind === "record") {
      // The record's object: the unit's, or the key the objects source adds to each record.
      const object = event.origin.eventType ?? String(fields.record[OBJECT_KEY]);
      event.ecs = normalizer.forRecord(object)(fields.record, event.json);
      return event.ecs;
    }
    event.ecs = planFor(event, fields.header)(fields.values, event.json);
    return event.ecs;
  };
}
