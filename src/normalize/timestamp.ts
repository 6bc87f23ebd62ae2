/**
 * Salesforce's time formats, turned into the instant they name (ISO 8601, UTC).
 *
 * TIMESTAMP is `yyyyMMddHHmmss.SSS` in GMT (sometimes without milliseconds); it must be read as a
 * date, not as a number (Sekoia.io's parser reads it as a number and dates real rows in 2034).
 * TIMESTAMP_DERIVED is already ISO 8601 with `Z`, the common case, returned as written.
 */

const ISO_MILLIS_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const COMPACT = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.(\d{1,9}))?$/;
const EPOCH_MILLIS = /^\d{12,14}$/;

/** The ISO 8601 UTC form of a Salesforce date-time, or undefined when the text is not one. */
export function parseSalesforceTime(value: string): string | undefined {
  if (ISO_MILLIS_UTC.test(value)) return value;
  const compact = COMPACT.exec(value);
  if (compact !== null) {
    const [, y, mo, d, h, mi, s, frac = ""] = compact;
    return checked(`${y}-${mo}-${d}T${h}:${mi}:${s}.${frac.padEnd(3, "0").slice(0, 3)}Z`);
  }
  // Epoch milliseconds, as LightningPageView writes PAGE_START_TIME.
  if (EPOCH_MILLIS.test(value)) return checked(new Date(Number(value)));
  // Other ISO 8601 forms (no milliseconds, an offset): only forms with a date and a time.
  if (/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/.test(value)) return checked(new Date(value));
  return undefined;
}

function checked(time: string | Date): string | undefined {
  const date = typeof time === "string" ? new Date(time) : time;
  if (Number.isNaN(date.getTime())) return undefined;
  const iso = date.toISOString();
  // Date accepts 2026-02-31 by rolling over; a compact value naming no real day is not a time.
  return typeof time === "string" && iso !== time ? undefined : iso;
}
