import type { SourceEvent } from "../../src/core/event.js";
import { rowJsonEncoder } from "../../src/csv/row-json.js";

/** One encoder per header, as the reader builds one per file. */
const encoders = new WeakMap<readonly string[], (values: readonly string[]) => string>();
function encoderOf(header: readonly string[]) {
  const known = encoders.get(header);
  if (known) return known;
  const encode = rowJsonEncoder(header);
  encoders.set(header, encode);
  return encode;
}

/**
 * The one place tests build the event the outputs receive: when its shape changes, only this file
 * does. A row of `values` under `header`, from line `line` of an Event Log File.
 */
export function outboundEvent(
  header: readonly string[],
  values: string[],
  options: { line?: number; unit?: string; eventType?: string } = {},
): SourceEvent {
  return {
    origin: {
      source: "event_log_files:hourly",
      unit: options.unit ?? "0ATD000000001bROAQ",
      eventType: options.eventType ?? "Login",
    },
    line: options.line ?? 2,
    fields: { kind: "csv", header, values },
    json: encoderOf(header)(values),
  };
}

const HEADER = ["EVENT_TYPE", "TIMESTAMP_DERIVED", "USER_ID", "URI"] as const;
const encodeRow = encoderOf(HEADER);

/** A Login-like event whose URI column is padded so the event's JSON has about `size` characters. */
export function loginEvent(
  line: number,
  options: { unit?: string; size?: number; uri?: string } = {},
): SourceEvent {
  const base = ["Login", `2026-11-01T10:00:${String(line % 60).padStart(2, "0")}.000Z`, "005D0000001Az", ""];
  const fixed = encodeRow(base).length;
  const uri = options.uri ?? "/".padEnd(Math.max(1, (options.size ?? 120) - fixed), "x");
  return outboundEvent(HEADER, [base[0], base[1], base[2], uri], { line, unit: options.unit });
}
