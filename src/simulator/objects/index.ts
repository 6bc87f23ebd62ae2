import { EventRowFactory } from "../org/rows.js";
import type { OrgProfile } from "../org/population.js";
import { mix, nameHash, Random } from "../org/random.js";
import type { Login, SessionDirectory } from "../org/sessions.js";
import type { SObjectSchema, SoqlRecord } from "../soql/index.js";
import { OBJECTS, type ObjectSpec, objectSpec } from "./catalog.js";
import { buildRecord, eventIdentifier } from "./records.js";
import { type Burst, ObjectTimeline, type Slot } from "./timeline.js";

export { OBJECTS, type ObjectSpec, objectSpec, EMPTY_ID } from "./catalog.js";
export { compareSlots, type Slot } from "./timeline.js";

export interface MonitoringOptions {
  seed: number;
  profile: OrgProfile;
  /** The org's sessions: the same logins the Login and Logout Event Log Files show. */
  sessions: SessionDirectory;
  /** The first instant of history (rows before it do not exist). */
  historyStart: number;
  /** The org has Shield or the Event Monitoring add-on (RTEM and Threat Detection objects exist). */
  eventMonitoring: boolean;
  /** Objects the run-as user may read (by name); every object when undefined. */
  readable?: readonly string[];
  rowsPerHour?: Record<string, number>;
  lateShare: number;
  lateDelayMs: number;
  tieShare: number;
  bursts: readonly { object: string; rows: number; at: number; span: number }[];
}

const TAG_ROW = 0x0b52;

/**
 * The org's monitoring objects (RTEM storage, Threat Detection stores, SetupAuditTrail, LoginHistory):
 * which exist and who may read them, and their rows, built on demand from the same sessions as the
 * Event Log Files. Nothing is stored: a row is rebuilt from its slot whenever it is needed.
 */
export class MonitoringObjects {
  private readonly timeline: ObjectTimeline;
  private readonly kinds: Map<string, number>;
  private readonly readable: ReadonlySet<string>;
  private readonly bursts: Burst[];
  private readonly loginFile: EventRowFactory;
  private readonly rnd = new Random(0);
  /** The hour whose login and logout plans were read last: rows of one query come hour by hour. */
  private planned = { hour: Number.NaN, logins: [] as Login[], logouts: [] as Login[] };

  constructor(private readonly options: MonitoringOptions) {
    const unknown = (names: Iterable<string>, where: string) => {
      for (const name of names) {
        if (objectSpec(name) === undefined) {
          throw new Error(
            `${where} names "${name}", which the simulator does not serve; pick among: ${OBJECTS.map((o) => o.name).join(", ")}.`,
          );
        }
      }
    };
    unknown(options.readable ?? [], "objects.readable");
    unknown(Object.keys(options.rowsPerHour ?? {}), "objects.rows_per_hour");
    unknown(
      options.bursts.map((b) => b.object),
      "objects.bursts",
    );
    this.bursts = options.bursts.map((b, k) => {
      const spec = objectSpec(b.object) as ObjectSpec;
      if (spec.kind !== "big") {
        throw new Error(
          `objects.bursts: ${spec.name} is a standard object; bursts are for the big objects (LoginEvent, ApiEvent, ...).`,
        );
      }
      return { stream: k + 1, object: spec.name, rows: b.rows, at: b.at, span: b.span };
    });
    this.readable = new Set(
      (options.readable ?? OBJECTS.map((o) => o.name)).map((n) => (objectSpec(n) as ObjectSpec).name),
    );
    this.kinds = new Map(OBJECTS.map((o) => [o.name, nameHash(`object:${o.name}`)]));
    const rates = new Map(OBJECTS.map((o) => [o.name, o.rate]));
    for (const [name, rate] of Object.entries(options.rowsPerHour ?? {}))
      rates.set((objectSpec(name) as ObjectSpec).name, rate);
    this.timeline = new ObjectTimeline(options, options.sessions, this.kinds, rates);
    this.loginFile = new EventRowFactory(options.seed, options.profile, options.sessions, "Login", 0);
  }

  /** Whether the org has the object at API version `major` (its licence and the object's version). */
  exists(spec: ObjectSpec, major: number): boolean {
    return major >= spec.since && (spec.access !== "monitoring" || this.options.eventMonitoring);
  }

  /** Whether the run-as user may query it at `major`: anything else answers INVALID_TYPE. */
  canRead(spec: ObjectSpec, major: number): boolean {
    return this.exists(spec, major) && this.readable.has(spec.name);
  }

  schema(spec: ObjectSpec): SObjectSchema {
    return {
      name: spec.name,
      fields: spec.fields.map(({ name, type, filterable, sortable }) => ({
        name,
        type,
        filterable,
        sortable,
      })),
    };
  }

  /**
   * Rows with their timestamp in (lo, hi] that are visible at `now`, in timestamp order (ties by
   * their place in the stream), each with its slot. Lazy: a page of a million-row window costs a
   * page of work.
   */
  *visible(spec: ObjectSpec, now: number, lo: number, hi: number, descending: boolean): Generator<Slot> {
    const from = Math.max(lo, this.options.historyStart - 1);
    for (const slot of this.timeline.slots(spec, this.bursts, from, Math.min(hi, now), descending)) {
      if (slot.visible <= now) yield slot;
    }
  }

  /**
   * Rows whose event happened in (lo, hi], stored yet or not, in stream order (compareSlots): what
   * the object's Pub/Sub topic publishes, at each row's EventDate.
   */
  published(spec: ObjectSpec, lo: number, hi: number): Generator<Slot> {
    return this.timeline.slots(spec, this.bursts, Math.max(lo, this.options.historyStart - 1), hi, false);
  }

  /** The full row of a slot, every field in describe order. */
  record(spec: ObjectSpec, slot: Slot): SoqlRecord {
    const kind = this.kinds.get(spec.name) as number;
    const rnd = this.rnd.reseed(mix(this.options.seed, TAG_ROW, kind, slot.stream, slot.origin, slot.index));
    const { session, loginFileRow } = this.sessionOf(spec, slot, rnd);
    const user = session?.user ?? rnd.pick(this.options.profile.users.filter((u) => u.kind === "admin"));
    return buildRecord({
      spec,
      slot,
      rnd,
      profile: this.options.profile,
      session,
      user,
      loginFileRow,
      eventIdentifier: eventIdentifier(this.options.seed, kind, slot),
    });
  }

  /** Every row of a standard object visible at `now` (they are few: thousands, never a burst). */
  standardRecords(spec: ObjectSpec, now: number): SoqlRecord[] {
    return Array.from(this.visible(spec, now, Number.NEGATIVE_INFINITY, now, false), (slot) =>
      this.record(spec, slot),
    );
  }

  /** Ground truth: every row of every object the org has, visible at `now`, object by object, oldest first. */
  *groundTruth(now: number, only?: ObjectSpec): Generator<{ spec: ObjectSpec; record: SoqlRecord }> {
    for (const spec of only === undefined ? OBJECTS : [only]) {
      if (spec.access === "monitoring" && !this.options.eventMonitoring) continue;
      for (const slot of this.visible(spec, now, Number.NEGATIVE_INFINITY, now, false)) {
        yield { spec, record: this.record(spec, slot) };
      }
    }
  }

  private sessionOf(
    spec: ObjectSpec,
    slot: Slot,
    rnd: Random,
  ): { session: Login | undefined; loginFileRow?: Record<string, string> } {
    const sessions = this.options.sessions;
    if (spec.source === "audit") return { session: undefined };
    if (slot.stream !== 0) {
      // Burst rows belong to no hour plan: a login or session of their own moment.
      if (spec.source === "login") return { session: sessions.loginAt(slot.time, rnd) };
      if (spec.source === "logout") return { session: sessions.sessionAt(slot.time, rnd) };
      return {
        session:
          sessions.openSession(slot.time, spec.channel ?? "browser", rnd) ??
          sessions.sessionAt(slot.time, rnd),
      };
    }
    if (spec.source === "activity") {
      return {
        session:
          sessions.openSession(slot.time, spec.channel ?? "browser", rnd) ??
          sessions.sessionAt(slot.time, rnd),
      };
    }
    const hour = slot.origin;
    if (this.planned.hour !== hour) {
      this.planned = {
        hour,
        logins: sessions.loginsInHour(hour),
        logouts: sessions.sessionsEndingInHour(hour),
      };
    }
    if (spec.source === "logout") return { session: this.planned.logouts[slot.index] };
    const login = this.planned.logins[slot.index];
    // The Login Event Log File's row of this very login: its TLS, cipher and login URL carry over.
    const values = this.loginFile.hourRow(hour, slot.index, this.planned.logins.length);
    const row = Object.fromEntries(this.loginFile.header.map((name, i) => [name, values[i]]));
    return { session: login, loginFileRow: row };
  }
}
