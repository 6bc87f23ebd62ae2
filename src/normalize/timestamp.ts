/**
 * Salesforce's time formats, turned into the instant they name (ISO 8601, UTC).
 *
 * TIMESTAMP is `yyyyMMddHHmmss.SSS` in GMT (sometimes without milliseconds); it must be read as a
 * date, not as a number (Sekoia.io's parser reads it as a number and dates real rows in 2034).
 * TIMESTAMP_DERIVED is already ISO 8601 with `Z`, the common case, returned as written.
 */

const ISO_MILLIS_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const EPOCH_MILLIS = /^\d{12,14}$/;

/** The ISO 8601 UTC form of a Salesforce date-time, or undefined when the text is not one. */
export function parseSalesforceTime(value: string): string | undefined {
  if (ISO_MILLIS_UTC.test(value)) return value;
  if (isCompact(value)) return compactTime(value);
  // Epoch milliseconds, as LightningPageView writes PAGE_START_TIME.
  if (EPOCH_MILLIS.test(value)) return checked(new Date(Number(value)));
  // Other ISO 8601 forms (no milliseconds, an offset): only forms with a date and a time.
  if (/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/.test(value)) return checked(new Date(value));
  return undefined;
}

const DOT = 46;

/** `yyyyMMddHHmmss`, optionally followed by `.` and 1 to 9 digits of a second. */
function isCompact(v: string): boolean {
  const n = v.length;
  if (n !== 14 && (n < 16 || n > 24 || v.charCodeAt(14) !== DOT)) return false;
  for (let i = 0; i < n; i++) if (i !== 14 && !isDigit(v.charCodeAt(i))) return false;
  return true;
}

/**
 * A compact time, read character by character and checked by hand: this runs for every row,
 * where a regular expression's captures and a Date cost more than the rest of the parse.
 */
function compactTime(v: string): string | undefined {
  const n = v.length;
  const year = twoDigits(v, 0) * 100 + twoDigits(v, 2);
  const month = twoDigits(v, 4);
  const day = twoDigits(v, 6);
  const valid =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    twoDigits(v, 8) <= 23 &&
    twoDigits(v, 10) <= 59 &&
    twoDigits(v, 12) <= 59;
  if (!valid) return undefined;
  const millis = n === 14 ? "000" : v.slice(15, 18).padEnd(3, "0");
  return `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}T${v.slice(8, 10)}:${v.slice(10, 12)}:${v.slice(12, 14)}.${millis}Z`;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function twoDigits(v: string, at: number): number {
  return (v.charCodeAt(at) - 48) * 10 + v.charCodeAt(at + 1) - 48;
}

function checked(date: Date): string | undefined {
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}
