import { type EventTypeSchema, eventTypeSchema } from "../../salesforce/event-types.js";
import { GENERATORS, type EventGenerator, type RowContext } from "./generators.js";
import { requestId } from "./ids.js";
import type { OrgProfile } from "./population.js";
import { mix, nameHash, Random } from "./random.js";
import type { SessionDirectory } from "./sessions.js";
import { eventsInHour, eventTime } from "./volume.js";

/** Keeps row draws apart from the other draws made for the same hour (logins, schedules). */
const ROW_TAG = 0x5203;

/** Columns most event types share, filled the same way for all of them unless a type says otherwise. */
const COMMON: Record<string, (c: RowContext) => string> = {
  EVENT_TYPE: (c) => c.eventType,
  TIMESTAMP: (c) => c.timestamp,
  TIMESTAMP_DERIVED: (c) => c.timestampDerived,
  REQUEST_ID: (c) => c.requestId,
  ORGANIZATION_ID: (c) => c.profile.orgId15,
  USER_ID: (c) => c.user.id15,
  USER_ID_DERIVED: (c) => c.user.id18,
  SESSION_KEY: (c) => c.session?.sessionKey ?? "",
  LOGIN_KEY: (c) => c.session?.loginKey ?? "",
  CLIENT_IP: (c) => c.clientIp,
  USER_TYPE: () => "Standard",
  REQUEST_STATUS: () => "S",
  RUN_TIME: (c) => String(c.rnd.between(4, 900)),
  CPU_TIME: (c) => String(c.rnd.between(0, 250)),
  DB_TOTAL_TIME: (c) => String(c.rnd.between(800_000, 400_000_000)),
  DB_BLOCKS: (c) => String(c.rnd.between(0, 4000)),
  DB_CPU_TIME: (c) => String(c.rnd.between(0, 180)),
  BROWSER_TYPE: (c) => c.session?.userAgent ?? "",
  USER_AGENT: (c) => c.session?.userAgent ?? "",
};

/**
 * Builds the rows of one event type: the events of an hour (their number, and row `i` of them), or
 * rows at arbitrary times for files of a declared size. Row `i` of an hour is a pure function of
 * (seed, event type, hour, i), so a row can be rebuilt on its own and is identical on every call.
 */
export class EventRowFactory {
  readonly schema: EventTypeSchema;
  readonly header: string[];
  /** The column a declared-size file pads in its last row to reach its exact size. */
  readonly padIndex: number;
  private readonly generator: EventGenerator;
  private readonly columns: ((c: RowContext) => string)[];
  private readonly kind: number;
  private readonly rnd = new Random(0);
  private cachedHour = Number.NaN;
  private cachedSessions: RowContext["session"][] = [];

  constructor(
    private readonly seed: number,
    private readonly profile: OrgProfile,
    private readonly sessions: SessionDirectory,
    eventType: string,
    private readonly ratePerHour: number,
  ) {
    const schema = eventTypeSchema(eventType);
    const generator = GENERATORS[eventType];
    if (schema === undefined || generator === undefined) {
      throw new Error(
        `The simulator cannot generate "${eventType}" events; known types: ${Object.keys(GENERATORS).join(", ")}.`,
      );
    }
    this.schema = schema;
    this.generator = generator;
    this.header = schema.columns.map((c) => c.name);
    this.padIndex = this.header.indexOf(generator.padColumn);
    this.kind = nameHash(eventType);
    this.columns = this.header.map((name) => {
      const common = COMMON[name];
      if (common === undefined) return (c: RowContext) => c.values[name] ?? "";
      return (c: RowContext) => {
        const own = c.values[name];
        return own === undefined ? common(c) : own;
      };
    });
  }

  /** The number of events of this type in the hour starting at `hourStart`. */
  hourCount(hourStart: number): number {
    if (this.generator.source === "login") return this.sessions.loginsInHour(hourStart).length;
    if (this.generator.source === "logout") return this.sessions.sessionsEndingInHour(hourStart).length;
    return eventsInHour(this.seed, this.kind, hourStart, this.ratePerHour);
  }

  /** Row `i` of the hour's events, as values in header order. */
  hourRow(hourStart: number, i: number, count: number): string[] {
    const rnd = this.rnd.reseed(mix(this.seed, ROW_TAG, this.kind, hourStart, i));
    if (this.generator.source === "activity")
      return this.build(eventTime(hourStart, i, count, rnd), undefined);
    if (this.cachedHour !== hourStart) {
      this.cachedHour = hourStart;
      this.cachedSessions =
        this.generator.source === "login"
          ? this.sessions.loginsInHour(hourStart)
          : this.sessions.sessionsEndingInHour(hourStart);
    }
    const session = this.cachedSessions[i];
    return this.build(this.generator.source === "login" ? session!.time : session!.end, session);
  }

  /** A row at time `t` that belongs to no hour plan (files of a declared size); `key` makes it unique. */
  rowAt(t: number, key: number): string[] {
    const rnd = this.rnd.reseed(mix(this.seed, ROW_TAG, this.kind, t, key));
    const source = this.generator.source;
    if (source === "activity") return this.build(t, undefined);
    const session = source === "login" ? this.sessions.loginAt(t, rnd) : this.sessions.sessionAt(t, rnd);
    return this.build(t, session);
  }

  private build(time: number, session: RowContext["session"]): string[] {
    const rnd = this.rnd;
    const iso = new Date(time).toISOString();
    const ctx: RowContext = {
      eventType: this.schema.eventType,
      time,
      timestamp: `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 23)}`,
      timestampDerived: iso,
      rnd,
      profile: this.profile,
      sessions: this.sessions,
      session,
      user: session?.user ?? this.profile.automatedProcess,
      clientIp: session?.clientIp ?? "Salesforce.com IP",
      requestId: requestId(rnd),
      values: {},
    };
    ctx.values = this.generator.values(ctx);
    const out = new Array<string>(this.columns.length);
    for (let i = 0; i < out.length; i++) out[i] = this.columns[i](ctx);
    return out;
  }
}
