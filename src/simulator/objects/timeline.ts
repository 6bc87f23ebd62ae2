import { mix, Random } from "../org/random.js";
import type { SessionDirectory } from "../org/sessions.js";
import { eventsInHour, eventTime, HOUR_MS, startOfHour } from "../org/volume.js";
import type { ObjectSpec } from "./catalog.js";

/**
 * When each row of a monitoring object happened and when it became visible, without building the
 * row itself. Rows are computed one hour at a time (a handful each) or, for a burst, as a pure
 * function of their index, so a query for (A, B] touches only the hours and burst indexes inside
 * it, in memory that does not grow with the burst: this is what lets a million-row burst be paged
 * through without ever being held.
 */

/** One row's place: stream 0 is the hour's ordinary rows (index in the hour), stream k the (k-1)th burst. */
export interface Slot {
  /** EventDate (or the object's own timestamp), epoch ms. */
  time: number;
  /** When a query first sees it: CreatedDate for the RTEM objects, epoch ms. */
  visible: number;
  stream: number;
  /** The hour (stream 0) or the burst's start (bursts). */
  origin: number;
  index: number;
}

export interface Burst {
  /** Index in the scenario's list: bursts are streams 1, 2, ... */
  stream: number;
  object: string;
  rows: number;
  at: number;
  span: number;
}

export interface TimelineOptions {
  seed: number;
  /** Share of rows stored late: CreatedDate minutes to `lateDelayMs` after EventDate. */
  lateShare: number;
  lateDelayMs: number;
  /** Share of activity rows that take the EventDate of the row before them (same millisecond). */
  tieShare: number;
}

const SECOND = 1000;
const TAG_SLOT = 0x0b51;
const ceilSecond = (t: number) => Math.ceil(t / SECOND) * SECOND;
const floorSecond = (t: number) => Math.floor(t / SECOND) * SECOND;

export class ObjectTimeline {
  private readonly rnd = new Random(0);

  constructor(
    private readonly options: TimelineOptions,
    private readonly sessions: SessionDirectory,
    private readonly kinds: ReadonlyMap<string, number>,
    private readonly rates: ReadonlyMap<string, number>,
  ) {}

  /** The object's ordinary rows of the hour starting at `hour`, by time then index. */
  hourSlots(spec: ObjectSpec, hour: number): Slot[] {
    const kind = this.kinds.get(spec.name) as number;
    const times = this.hourTimes(spec, hour, kind);
    const slots: Slot[] = [];
    for (let i = 0; i < times.length; i++) {
      const rnd = this.rnd.reseed(mix(this.options.seed, TAG_SLOT, kind, hour, i));
      slots.push({
        time: times[i],
        visible: this.visibleAt(spec, times[i], rnd),
        stream: 0,
        origin: hour,
        index: i,
      });
    }
    return slots;
  }

  private hourTimes(spec: ObjectSpec, hour: number, kind: number): number[] {
    if (spec.source === "login") {
      const logins = this.sessions.loginsInHour(hour);
      // LoginHistory's LoginTime has second precision; LoginEvent keeps the millisecond.
      return logins.map((l) => (spec.timestamp === "LoginTime" ? floorSecond(l.time) : l.time));
    }
    if (spec.source === "logout") return this.sessions.sessionsEndingInHour(hour).map((s) => s.end);
    const count = eventsInHour(this.options.seed, kind, hour, this.rates.get(spec.name) ?? 0);
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const rnd = this.rnd.reseed(mix(this.options.seed, TAG_SLOT + 1, kind, hour, i));
      const own = eventTime(hour, i, count, rnd);
      const tied = i > 0 && rnd.chance(this.options.tieShare);
      const t = tied ? times[i - 1] : own;
      times.push(spec.source === "audit" ? floorSecond(t) : t);
    }
    // Flooring to the second keeps the order; ties only repeat the previous time.
    return times;
  }

  private visibleAt(spec: ObjectSpec, time: number, rnd: Random): number {
    const late = rnd.chance(this.options.lateShare);
    const lateBy = late
      ? rnd.between(5 * 60 * SECOND, Math.max(5 * 60 * SECOND, this.options.lateDelayMs))
      : 0;
    switch (spec.lag) {
      case "realtime":
        return ceilSecond(time + rnd.between(200, 4000) + lateBy);
      case "detection":
        return ceilSecond(time + rnd.between(2 * 60 * SECOND, 45 * 60 * SECOND) + lateBy);
      case "audit":
        return ceilSecond(time + rnd.between(0, 2000) + lateBy);
    }
  }

  /**
   * Every slot with time in (lo, hi], ordinary and burst rows merged, ascending or descending by
   * (time, stream, index). Visibility is the caller's to check.
   */
  *slots(
    spec: ObjectSpec,
    bursts: readonly Burst[],
    lo: number,
    hi: number,
    descending: boolean,
  ): Generator<Slot> {
    if (hi <= lo) return;
    const first = startOfHour(lo + 1);
    const last = startOfHour(hi);
    const own = bursts.filter((b) => b.object === spec.name);
    for (let k = 0; k <= (last - first) / HOUR_MS; k++) {
      const hour = descending ? last - k * HOUR_MS : first + k * HOUR_MS;
      const from = Math.max(lo, hour - 1);
      const to = Math.min(hi, hour + HOUR_MS - 1);
      const ordinary = this.hourSlots(spec, hour).filter((s) => s.time > from && s.time <= to);
      if (descending) ordinary.reverse();
      const sources: Iterator<Slot>[] = [ordinary[Symbol.iterator]()];
      for (const burst of own) {
        if (burst.at > to || burst.at + burst.span < from + 1) continue;
        sources.push(burstSlots(burst, from, to, descending));
      }
      yield* sources.length === 1 ? ordinary : merge(sources, descending);
    }
  }
}

function burstTime(burst: Burst, j: number): number {
  return burst.at + Math.floor((j * burst.span) / burst.rows);
}

/** The first index whose time is above `t` (times never decrease with the index). */
function firstAfter(burst: Burst, t: number): number {
  let lo = 0;
  let hi = burst.rows;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (burstTime(burst, mid) > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A burst's rows with time in (from, to]: all stored together, a second after the burst ends. */
function* burstSlots(burst: Burst, from: number, to: number, descending: boolean): Generator<Slot> {
  const start = firstAfter(burst, from);
  const end = firstAfter(burst, to);
  const visible = ceilSecond(burst.at + burst.span) + SECOND;
  const count = end - start;
  for (let k = 0; k < count; k++) {
    const j = descending ? end - 1 - k : start + k;
    yield { time: burstTime(burst, j), visible, stream: burst.stream, origin: burst.at, index: j };
  }
}

/** The order of a stream: time, then burst stream, then index. */
export function compareSlots(
  a: Pick<Slot, "time" | "stream" | "index">,
  b: Pick<Slot, "time" | "stream" | "index">,
): number {
  return a.time - b.time || a.stream - b.stream || a.index - b.index;
}

/** A k-way merge of sorted iterators (k is the number of bursts in an hour plus one: tiny). */
function* merge(sources: Iterator<Slot>[], descending: boolean): Generator<Slot> {
  const heads = sources.map((s) => s.next());
  const sign = descending ? -1 : 1;
  while (true) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i];
      if (head.done) continue;
      if (
        best === -1 ||
        sign * compareSlots(head.value, (heads[best] as IteratorYieldResult<Slot>).value) < 0
      )
        best = i;
    }
    if (best === -1) return;
    yield (heads[best] as IteratorYieldResult<Slot>).value;
    heads[best] = sources[best].next();
  }
}
