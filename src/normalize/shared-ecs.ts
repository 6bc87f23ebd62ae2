import { ExplainedError } from "../core/errors.js";
import type { SourceEvent } from "../core/event.js";
import type { Normalizer, RowEncoder } from "./normalizer.js";

/**
 * An event's ECS document as JSON text, computed the first time any output asks and kept on the
 * event, so outputs that share a normalizer normalize each event once. Plans are compiled once per
 * header: the rows of a file share theirs, and files read side by side keep their own.
 */
export function sharedEcs(normalizer: Normalizer): (event: SourceEvent) => string {
  const plans = new WeakMap<readonly string[], RowEncoder>();
  const planFor = (event: SourceEvent, header: readonly string[]): RowEncoder => {
    let plan = plans.get(header);
    if (plan === undefined) {
      // One header is one file's, so one event type: the origin's, or the rows' EVENT_TYPE column.
      plan = normalizer.forHeader(header, event.origin.eventType);
      plans.set(header, plan);
    }
    return plan;
  };
  return (event) => {
    if (event.ecs !== undefined) return event.ecs;
    const { fields } = event;
    if (fields.kind !== "csv") {
      throw new ExplainedError(
        `${event.origin.eventType ?? "this object"} records have no ECS mapping yet; set outputs.file.format to raw for objects.`,
        "stop",
      );
    }
    event.ecs = planFor(event, fields.header)(fields.values, event.json);
    return event.ecs;
  };
}
