import { mix, Random } from "./random.js";
import { DAY_MS, HOUR_MS } from "./volume.js";

/**
 * When Salesforce publishes the files of an hour and of a day. Generation runs are shared by all
 * event types (one run writes every type's files for an hour), so files of different types often
 * carry the same CreatedDate second; some types land a few seconds later. CreatedDate has second
 * precision, as in the API.
 */

const SECOND = 1000;
const TAG_HOUR_RUN = 0x4801;
const TAG_HOUR_TYPE = 0x4802;
const TAG_DAY_RUN = 0x4401;
const TAG_DAY_TYPE = 0x4402;

export interface HourlyDelivery {
  /** 1 for the first file of the hour, then 2, 3 for late rows. */
  sequence: number;
  created: number;
  /** Events (by index in the hour) the file holds, in order; a late file may repeat a few delivered ones. */
  events: number[];
}

export interface HourSchedule {
  deliveries: HourlyDelivery[];
  /** For each event, when it was first published. */
  arrival: Float64Array;
}

/** Most hourly files come 1 to 6 hours after their hour ends; some much later. */
function hourLag(rnd: Random): number {
  const r = rnd.float();
  const hours = r < 0.85 ? 1 + 5 * rnd.float() : r < 0.97 ? 6 + 8 * rnd.float() : 14 + 26 * rnd.float();
  return Math.floor((hours * HOUR_MS) / SECOND) * SECOND;
}

/** Most types are written in the same second as the run; the others a few seconds later. */
function typeOffset(rnd: Random, share: number, maxSeconds: number): number {
  return rnd.chance(share) ? 0 : rnd.between(1, maxSeconds) * SECOND;
}

export function scheduleHour(seed: number, typeKey: number, hourStart: number, count: number): HourSchedule {
  const run = new Random(mix(seed, TAG_HOUR_RUN, hourStart));
  const own = new Random(mix(seed, TAG_HOUR_TYPE, typeKey, hourStart));
  const created = [hourStart + HOUR_MS + hourLag(run) + typeOffset(own, 0.6, 90)];
  // Late rows: a second file for 15 % of hours, a third for some of those.
  const lateShares: number[] = [];
  if (own.chance(0.15)) {
    lateShares.push(0.05 + 0.25 * own.float());
    if (own.chance(0.3)) lateShares.push(0.05 + 0.15 * own.float());
  }
  for (let s = 1; s <= lateShares.length; s++) {
    const lateLag = Math.floor((HOUR_MS + 19 * HOUR_MS * run.float()) / SECOND) * SECOND;
    created.push(created[s - 1] + lateLag + typeOffset(own, 0.5, 60));
  }
  const batchOf = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    let batch = 0;
    for (let s = 0; s < lateShares.length; s++) if (own.chance(lateShares[s])) batch = s + 1;
    batchOf[i] = batch;
  }
  const deliveries: HourlyDelivery[] = [];
  const arrival = new Float64Array(count);
  const delivered: number[] = [];
  for (let b = 0; b < created.length; b++) {
    const fresh: number[] = [];
    for (let i = 0; i < count; i++) if (batchOf[i] === b) fresh.push(i);
    if (fresh.length === 0) continue;
    for (const i of fresh) arrival[i] = created[b];
    let events = fresh;
    // "Latent log files can sometimes contain duplicate event data": repeat a few delivered rows.
    if (delivered.length > 0 && own.chance(0.3)) {
      const repeats = new Set<number>();
      const n = own.between(1, Math.min(3, delivered.length));
      while (repeats.size < n) repeats.add(delivered[own.below(delivered.length)]);
      events = [...fresh, ...repeats].sort((a, b) => a - b);
    }
    delivered.push(...fresh);
    deliveries.push({ sequence: deliveries.length + 1, created: created[b], events });
  }
  return { deliveries, arrival };
}

export interface DaySchedule {
  created: number;
  /**
   * When a new file replaces the day's file (new Id, new CreatedDate, every row of the day), or
   * undefined. The documentation says the new file "replaces" the original; the stricter reading,
   * taken here, is that the original disappears from the API the moment its replacement appears.
   */
  replaced: number | undefined;
}

/** The daily file of day D appears early on D+1 (off-peak), and is re-delivered when rows came late. */
export function scheduleDay(
  seed: number,
  typeKey: number,
  dayStart: number,
  lastArrival: number,
): DaySchedule {
  const run = new Random(mix(seed, TAG_DAY_RUN, dayStart));
  const own = new Random(mix(seed, TAG_DAY_TYPE, typeKey, dayStart));
  const runAt = dayStart + DAY_MS + 2 * HOUR_MS + run.between(0, 3 * 3600) * SECOND;
  const created = runAt + typeOffset(own, 0.5, 30);
  const rerun = run.between(3600, 4 * 3600) * SECOND;
  if (lastArrival > created) {
    return { created, replaced: Math.max(created + HOUR_MS, lastArrival) + rerun + typeOffset(own, 0.5, 30) };
  }
  if (own.chance(0.1)) return { created, replaced: created + own.between(2 * 3600, 12 * 3600) * SECOND };
  return { created, replaced: undefined };
}
