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
    // Checked by hand: this runs for every row, and a Date costs more than the rest of the parse.
    const month = Number(mo);
    const valid =
      month >= 1 &&
      month <= 12 &&
      Number(d) >= 1 &&
      Number(d) <= daysInMonth(Number(y), month) &&
      Number(h) <= 23 &&
      Number(mi) <= 59 &&
      Number(s) <= 59;
    return valid ? `${y}-${mo}-${d}T${h}:${mi}:${s}.${frac.padEnd(3, "0").slice(0, 3)}Z` : undefined;
  }
  // Epoch milliseconds, as LightningPageView writes PAGE_START_TIME.
  if (EPOCH_MILLIS.test(value)) return checked(new Date(Number(value)));
  // Other ISO 8601 forms (no milliseconds, an offset): only forms with a date and a time.
  if (/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/.test(value)) return checked(new Date(value));
  return undefined;
}

function checked(date: Date): string | undefined {
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}
