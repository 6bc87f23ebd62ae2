/**
 * Relative date literals (YESTERDAY, LAST_N_DAYS:7, ...) as half-open ranges [start, end) of epoch
 * milliseconds, computed from the `now` a query runs at. The simulated org's users have the UTC time
 * zone and the en_US locale, so days start at 00:00 UTC and weeks on Sunday.
 *
 * How a comparison uses the range (Salesforce's semantics): `= LIT` is inside it, `!=` outside it,
 * `< LIT` before its start, `<= LIT` before its end, `> LIT` from its end on, `>= LIT` from its start on.
 */

export interface DateRange {
  start: number;
  end: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type RangeOf = (now: number, n: number) => DateRange;

const startOfDay = (now: number): number => Math.floor(now / DAY) * DAY;
const startOfHour = (now: number): number => Math.floor(now / HOUR) * HOUR;
/** Sunday 00:00 UTC of the week holding `now` (1970-01-01 was a Thursday, hence the +4). */
const startOfWeek = (now: number): number => startOfDay(now) - ((Math.floor(now / DAY) + 4) % 7) * DAY;

function monthRange(now: number, shift: number): DateRange {
  const d = new Date(now);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + shift, 1);
  return { start, end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + shift + 1, 1) };
}

function days(fromDay: number, count: number): DateRange {
  return { start: fromDay, end: fromDay + count * DAY };
}

/** Literals without a count. */
const FIXED: Record<string, RangeOf> = {
  YESTERDAY: (now) => days(startOfDay(now) - DAY, 1),
  TODAY: (now) => days(startOfDay(now), 1),
  TOMORROW: (now) => days(startOfDay(now) + DAY, 1),
  LAST_WEEK: (now) => days(startOfWeek(now) - 7 * DAY, 7),
  THIS_WEEK: (now) => days(startOfWeek(now), 7),
  NEXT_WEEK: (now) => days(startOfWeek(now) + 7 * DAY, 7),
  LAST_MONTH: (now) => monthRange(now, -1),
  THIS_MONTH: (now) => monthRange(now, 0),
  NEXT_MONTH: (now) => monthRange(now, 1),
  LAST_90_DAYS: (now) => LAST_N_DAYS(now, 90),
  NEXT_90_DAYS: (now) => NEXT_N_DAYS(now, 90),
};

/** "Starts with the current day and continues for the past n days": LAST_N_DAYS:1 is yesterday and today. */
function LAST_N_DAYS(now: number, n: number): DateRange {
  return { start: startOfDay(now) - n * DAY, end: startOfDay(now) + DAY };
}

/** Starts at 00:00 of the next day and continues for n days (today is not included). */
function NEXT_N_DAYS(now: number, n: number): DateRange {
  return days(startOfDay(now) + DAY, n);
}

/** Literals written NAME:n. */
const COUNTED: Record<string, RangeOf> = {
  LAST_N_DAYS,
  NEXT_N_DAYS,
  N_DAYS_AGO: (now, n) => days(startOfDay(now) - n * DAY, 1),
  // The hour literals are read like the day ones (the current hour counts); Salesforce's pages are
  // terse about them, so this is the reading that keeps LAST_N_HOURS:n and LAST_N_DAYS:n alike.
  LAST_N_HOURS: (now, n) => ({ start: startOfHour(now) - n * HOUR, end: startOfHour(now) + HOUR }),
  NEXT_N_HOURS: (now, n) => ({ start: startOfHour(now) + HOUR, end: startOfHour(now) + (n + 1) * HOUR }),
};

/** Whether `name` (upper-case) is a literal this engine knows, and whether it is written with `:n`. */
export function dateLiteralArity(name: string): "fixed" | "counted" | undefined {
  if (Object.hasOwn(FIXED, name)) return "fixed";
  if (Object.hasOwn(COUNTED, name)) return "counted";
  return undefined;
}

export function dateLiteralRange(name: string, n: number | undefined, now: number): DateRange {
  const counted = COUNTED[name];
  if (counted !== undefined) return counted(now, n ?? 0);
  return FIXED[name](now, 0);
}
