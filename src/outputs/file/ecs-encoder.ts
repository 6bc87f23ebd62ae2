import type { Normalizer, RowEncoder } from "../../normalize/normalizer.js";
import type { OutboundEvent } from "../output.js";

/**
 * The file output's encoder for `format: ecs`: one ECS document as JSON per event. The plan is
 * compiled once per header (a file's rows share theirs) and reused.
 */
export function ecsEncoder(normalizer: Normalizer): (event: OutboundEvent) => string {
  let lastHeader: readonly string[] | undefined;
  let lastEventType: string | undefined;
  let plan: RowEncoder | undefined;
  return (event) => {
    if (plan === undefined || event.header !== lastHeader || event.origin.eventType !== lastEventType) {
      lastHeader = event.header;
      lastEventType = event.origin.eventType;
      plan = normalizer.forHeader(event.header, event.origin.eventType);
    }
    return plan(event.row.values, event.json);
  };
}
