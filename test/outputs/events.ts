import type { SourceEvent } from "../../src/core/event.js";
import { rowJsonEncoder } from "../../src/csv/row-json.js";

const HEADER = ["EVENT_TYPE", "TIMESTAMP_DERIVED", "USER_ID", "URI"] as const;
const encodeRow = rowJsonEncoder(HEADER);

/** A Login-like event whose URI column is padded so the event's JSON has about `size` characters. */
export function loginEvent(
  line: number,
  options: { unit?: string; size?: number; uri?: string } = {},
): SourceEvent {
  const base = ["Login", `2026-11-01T10:00:${String(line % 60).padStart(2, "0")}.000Z`, "005D0000001Az", ""];
  const fixed = encodeRow(base).length;
  const uri = options.uri ?? "/".padEnd(Math.max(1, (options.size ?? 120) - fixed), "x");
  const values = [base[0], base[1], base[2], uri];
  return {
    origin: {
      source: "event_log_files:hourly",
      unit: options.unit ?? "0ATD000000001bROAQ",
      eventType: "Login",
    },
    line,
    fields: { kind: "csv", header: HEADER, values },
    json: encodeRow(values),
  };
}
