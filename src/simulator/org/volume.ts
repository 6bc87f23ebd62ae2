import { mix, Random } from "./random.js";

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/**
 * How busy the org is at each UTC hour: users in Europe, the Americas and Asia overlap, nights are
 * quiet but never silent (integrations run around the clock), weekends are a third of a weekday.
 */
const HOURLY_SHAPE = (() => {
  const raw = Array.from({ length: 24 }, (_, h) => {
    const europe = h >= 7 && h < 17 ? 1 : 0;
    const americas = h >= 13 && h < 23 ? 0.8 : 0;
    const asia = h < 9 ? 0.4 : 0;
    return 0.2 + europe + americas + asia;
  });
  const mean = raw.reduce((a, b) => a + b, 0) / 24;
  return raw.map((v) => v / mean);
})();

export function activityFactor(hourStart: number): number {
  const date = new Date(hourStart);
  const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6;
  return HOURLY_SHAPE[date.getUTCHours()] * (weekend ? 0.35 : 1);
}

/** How many events of a kind happen in an hour, for an average `ratePerHour`: shaped, noisy, deterministic. */
export function eventsInHour(seed: number, kind: number, hourStart: number, ratePerHour: number): number {
  if (ratePerHour <= 0) return 0;
  const rnd = new Random(mix(seed, kind, hourStart));
  const expected = ratePerHour * activityFactor(hourStart) * (0.7 + 0.6 * rnd.float());
  const whole = Math.floor(expected);
  return whole + (rnd.float() < expected - whole ? 1 : 0);
}

/** The time of event `i` of `count` in an hour: spread over the hour, never decreasing with `i`. */
export function eventTime(hourStart: number, i: number, count: number, rnd: Random): number {
  return hourStart + Math.floor(((i + rnd.float()) * HOUR_MS) / count);
}

export function startOfDay(t: number): number {
  return Math.floor(t / DAY_MS) * DAY_MS;
}

export function startOfHour(t: number): number {
  return Math.floor(t / HOUR_MS) * HOUR_MS;
}
