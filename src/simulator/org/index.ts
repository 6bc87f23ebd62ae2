import type { Readable } from "node:stream";
import { EVENT_TYPE_SCHEMAS, type EventTypeSchema } from "../../salesforce/event-types.js";
import { CHUNK_BYTES, ChunkBuffers, chunkLines, csvLine, LogFileBody } from "./csv-body.js";
import { DeclaredSizeFile } from "./declared-file.js";
import { GENERATORS } from "./generators.js";
import { toCaseSafeId } from "../../salesforce/ids.js";
import { base62 } from "./ids.js";
import { buildOrgProfile, type OrgProfile } from "./population.js";
import { EventRowFactory } from "./rows.js";
import { SessionDirectory } from "./sessions.js";
import { scheduleDay, scheduleHour } from "./timeline.js";
import { DAY_MS, HOUR_MS, startOfDay, startOfHour } from "./volume.js";

export interface OrgOptions {
  seed: number;
  /** The simulated "now" when the org starts; history covers `days` before it. */
  start: Date;
  days: number;
  /** Hourly Event Log Files enabled (daily files always exist). */
  hourly: boolean;
  /** 30, or 1 like a Developer Edition org. */
  retentionDays: number;
  /** Licensed event types; the free types are always present. */
  eventTypes: string[];
  /** Average rows per hour per event type (Login: login attempts; Logout follows the sessions). */
  rowsPerHour?: Record<string, number>;
  /** Files of a declared size, generated while they stream: e.g. { eventType: "URI", bytes: 2e9 }. */
  largeFiles?: { eventType: string; bytes: number; interval?: "Hourly" | "Daily" }[];
  /** ApiVersion of the files, e.g. "64.0". */
  apiVersion: string;
}

export interface EventLogFileEntry {
  Id: string;
  EventType: string;
  /** Epoch milliseconds, like CreatedDate. */
  LogDate: number;
  CreatedDate: number;
  Interval: "Hourly" | "Daily";
  Sequence: number;
  LogFileLength: number;
  LogFileFieldNames: string;
  LogFileFieldTypes: string;
  ApiVersion: number;
  LogFileContentType: "CSV";
}

export interface PublishedRow {
  fileId: string;
  /** 1-based position of the row in its file (the header is not counted). */
  row: number;
  values: Record<string, string>;
}

/** Small, realistic volumes: a mid-size org's quiet day, enough to exercise every path. */
export const DEFAULT_ROWS_PER_HOUR: Readonly<Record<string, number>> = {
  Login: 14,
  LoginAs: 0.3,
  API: 20,
  RestApi: 30,
  ApexRestApi: 4,
  ApiTotalUsage: 25,
  BulkApi: 2,
  Report: 6,
  ReportExport: 1,
  URI: 40,
  LightningPageView: 40,
  ContentTransfer: 4,
  DocumentAttachmentDownloads: 2,
  ApexExecution: 15,
  ApexCallout: 6,
  ApexUnexpectedException: 0.6,
  Sites: 8,
};

/** File Ids encode CreatedDate (seconds since 2000) then a discriminator, so Id order follows creation. */
const ID_EPOCH_SECONDS = Date.UTC(2000, 0, 1) / 1000;
const KIND_DAILY = 0;
const KIND_REPLACEMENT = 1;
const KIND_HOURLY = 2; // + Sequence - 1, Sequence <= 4
const KIND_DECLARED = 6;

/** Hourly files can appear up to ~3 days after their hour; days older than that plus retention hold nothing visible. */
const MAX_PUBLISH_DELAY_MS = 4 * DAY_MS;

interface OrgFile {
  entry: EventLogFileEntry;
  /** CreatedDate of the file that replaces this one; Infinity when none does. */
  replacedAt: number;
  retentionMs: number;
  factory: EventRowFactory;
  /** The hours' events the file holds, in order; or the declared-size generator. */
  content: HourSlice[] | DeclaredSizeFile;
}

interface EventTypeSource {
  typeIndex: number;
  schema: EventTypeSchema;
  factory: EventRowFactory;
  retentionMs: number;
  header: string;
  headerBytes: number;
}

/**
 * A simulated Salesforce org's Event Monitoring data: which Event Log Files exist at any simulated
 * moment, their CSV bodies, and the ground truth of every row published. Deterministic from the
 * seed; computed lazily one day at a time and kept.
 */
export class SimulatedOrg {
  readonly profile: OrgProfile;
  /** Logins and sessions: shared with the monitoring objects, so LoginEvent and the Login file agree. */
  readonly sessions: SessionDirectory;
  /** Midnight UTC of the first day of history. */
  readonly historyStart: number;
  private readonly options: OrgOptions;
  private readonly sources: EventTypeSource[];
  private readonly days = new Map<number, OrgFile[]>();
  private readonly byId = new Map<string, OrgFile>();
  /** Declared-size files by event type, interval and the slot (hour or day) they take. */
  private readonly declared = new Map<string, DeclaredSizeFile>();
  private plannedUntil: number;

  constructor(options: OrgOptions) {
    this.options = options;
    const seed = options.seed;
    this.profile = buildOrgProfile(seed);
    const rates = { ...DEFAULT_ROWS_PER_HOUR, ...options.rowsPerHour };
    const sessions = new SessionDirectory(seed, this.profile, rates.Login ?? 0);
    this.sessions = sessions;
    for (const type of options.eventTypes) {
      if (GENERATORS[type] === undefined) {
        throw new Error(
          `The simulator cannot generate "${type}" Event Log Files; pick among: ${Object.keys(GENERATORS).join(", ")}.`,
        );
      }
    }
    const licensed = new Set(options.eventTypes);
    // Free types keep 24 hours without an Event Monitoring license (no licensed type at all).
    const hasLicense = options.eventTypes.some((t) =>
      EVENT_TYPE_SCHEMAS.some((s) => s.eventType === t && !s.free),
    );
    this.sources = EVENT_TYPE_SCHEMAS.flatMap((schema, typeIndex) => {
      if (GENERATORS[schema.eventType] === undefined || !(schema.free || licensed.has(schema.eventType)))
        return [];
      const factory = new EventRowFactory(
        seed,
        this.profile,
        sessions,
        schema.eventType,
        rates[schema.eventType] ?? 0,
      );
      const header = csvLine(factory.header);
      const retentionDays =
        schema.free && !hasLicense ? Math.min(1, options.retentionDays) : options.retentionDays;
      const retentionMs = retentionDays * DAY_MS;
      return [{ typeIndex, schema, factory, retentionMs, header, headerBytes: Buffer.byteLength(header) }];
    });
    const start = options.start.getTime();
    this.historyStart = startOfDay(start - options.days * DAY_MS);
    this.plannedUntil = this.historyStart - DAY_MS;
    this.placeDeclaredFiles(start);
  }

  /** Files visible at `now`: created at or before it, not aged out of retention, not replaced by a newer copy. */
  files(now: Date): EventLogFileEntry[] {
    const t = now.getTime();
    this.planUntil(t);
    const visible: EventLogFileEntry[] = [];
    for (const [day, files] of this.days) {
      if (day > t || day + MAX_PUBLISH_DELAY_MS + 31 * DAY_MS < t) continue;
      for (const file of files) if (isVisible(file, t)) visible.push(file.entry);
    }
    return visible.sort(byCreation);
  }

  /** One file if it is visible at `now` (undefined: unknown, aged out, or replaced). */
  file(id: string, now: Date): EventLogFileEntry | undefined {
    const t = now.getTime();
    this.planUntil(t);
    const file = this.byId.get(id);
    return file !== undefined && isVisible(file, t) ? file.entry : undefined;
  }

  /** The CSV, byte-identical on every call, generated while it streams in constant memory; exactly LogFileLength bytes. */
  body(entry: EventLogFileEntry): Readable {
    this.planUntil(entry.CreatedDate);
    const file = this.byId.get(entry.Id);
    if (file === undefined) throw new Error(`No Event Log File ${entry.Id} in this simulated org.`);
    if (file.content instanceof DeclaredSizeFile) {
      const buffers = new ChunkBuffers(CHUNK_BYTES);
      return new LogFileBody(file.content.chunks(buffers), file.entry.LogFileLength, buffers);
    }
    return new LogFileBody(chunkLines(eventFileLines(file.factory, file.content)), file.entry.LogFileLength);
  }

  /** Ground truth: every row of every file published at or before `now` (replaced and expired files included). */
  async *publishedRows(now: Date): AsyncGenerator<PublishedRow> {
    const t = now.getTime();
    this.planUntil(t);
    const published = [...this.days.values()].flat().filter((f) => f.entry.CreatedDate <= t);
    published.sort((a, b) => byCreation(a.entry, b.entry));
    for (const file of published) {
      const header = file.factory.header;
      let row = 0;
      for (const values of rowValues(file)) {
        const record: Record<string, string> = {};
        for (let i = 0; i < header.length; i++) record[header[i]] = values[i];
        yield { fileId: file.entry.Id, row: ++row, values: record };
      }
    }
  }

  private placeDeclaredFiles(start: number): void {
    for (const large of this.options.largeFiles ?? []) {
      const interval = large.interval ?? "Daily";
      const source = this.sources.find((s) => s.schema.eventType === large.eventType);
      if (source === undefined) {
        throw new Error(`A large file of type ${large.eventType} needs that event type licensed in the org.`);
      }
      // The most recent slot whose file is already out at start, then earlier ones for more files.
      let slot = interval === "Daily" ? startOfDay(start) - DAY_MS : startOfHour(start) - 3 * HOUR_MS;
      const step = interval === "Daily" ? DAY_MS : HOUR_MS;
      while (this.declared.has(`${large.eventType}/${interval}/${slot}`)) slot -= step;
      // Built now, so a declared size that cannot be met fails at start, not at the first query.
      const file = new DeclaredSizeFile(source.factory, large.bytes, slot, slot + step);
      this.declared.set(`${large.eventType}/${interval}/${slot}`, file);
    }
  }

  private planUntil(t: number): void {
    const lastDay = startOfDay(t);
    while (this.plannedUntil < lastDay) {
      this.plannedUntil += DAY_MS;
      this.planDay(this.plannedUntil);
    }
  }

  private planDay(day: number): void {
    const files: OrgFile[] = [];
    for (const source of this.sources) files.push(...this.planTypeDay(source, day));
    this.days.set(day, files);
    for (const file of files) this.byId.set(file.entry.Id, file);
  }

  private planTypeDay(source: EventTypeSource, day: number): OrgFile[] {
    const { factory, schema } = source;
    const seed = this.options.seed;
    const files: OrgFile[] = [];
    const hours: { hour: number; count: number; bytes: Uint32Array; arrival: Float64Array }[] = [];
    for (let hour = day; hour < day + DAY_MS; hour += HOUR_MS) {
      const declared = this.declared.get(`${schema.eventType}/Hourly/${hour}`);
      if (declared !== undefined && this.options.hourly)
        files.push(this.declaredFile(source, "Hourly", hour, declared));
      const count = factory.hourCount(hour);
      if (count === 0) continue;
      const bytes = new Uint32Array(count);
      for (let i = 0; i < count; i++) bytes[i] = Buffer.byteLength(csvLine(factory.hourRow(hour, i, count)));
      const schedule = scheduleHour(seed, source.typeIndex, hour, count);
      hours.push({ hour, count, bytes, arrival: schedule.arrival });
      if (!this.options.hourly || declared !== undefined) continue;
      for (const delivery of schedule.deliveries) {
        const length = source.headerBytes + delivery.events.reduce((sum, i) => sum + bytes[i], 0);
        const id = fileId(
          this.profile.instance,
          delivery.created,
          KIND_HOURLY + delivery.sequence - 1,
          source,
          hour,
        );
        files.push({
          entry: this.entry(id, source, hour, delivery.created, "Hourly", delivery.sequence, length),
          replacedAt: Number.POSITIVE_INFINITY,
          retentionMs: source.retentionMs,
          factory,
          content: [{ hour, count, events: delivery.events }],
        });
      }
    }
    const declared = this.declared.get(`${schema.eventType}/Daily/${day}`);
    if (declared !== undefined) return [...files, this.declaredFile(source, "Daily", day, declared)];
    if (hours.length === 0) return files;
    const lastArrival = Math.max(...hours.map((h) => Math.max(...h.arrival)));
    const schedule = scheduleDay(seed, source.typeIndex, day, lastArrival);
    const dailyFile = (created: number, kind: number, arrivedBy: number): OrgFile | undefined => {
      const content = hours.map(({ hour, count, arrival }) => ({
        hour,
        count,
        events: Array.from({ length: count }, (_, i) => i).filter((i) => arrival[i] <= arrivedBy),
      }));
      const rows = content.reduce((sum, h) => sum + h.events.length, 0);
      if (rows === 0) return undefined;
      const length = content.reduce(
        (sum, h, k) => sum + h.events.reduce((s, i) => s + hours[k].bytes[i], 0),
        source.headerBytes,
      );
      const id = fileId(this.profile.instance, created, kind, source, day);
      return {
        entry: this.entry(id, source, day, created, "Daily", 0, length),
        replacedAt: Number.POSITIVE_INFINITY,
        retentionMs: source.retentionMs,
        factory,
        content,
      };
    };
    const original = dailyFile(schedule.created, KIND_DAILY, schedule.created);
    if (schedule.replaced === undefined) return original ? [...files, original] : files;
    const replacement = dailyFile(schedule.replaced, KIND_REPLACEMENT, Number.POSITIVE_INFINITY)!;
    if (original === undefined) return [...files, replacement];
    original.replacedAt = schedule.replaced;
    return [...files, original, replacement];
  }

  private declaredFile(
    source: EventTypeSource,
    interval: "Hourly" | "Daily",
    slot: number,
    content: DeclaredSizeFile,
  ): OrgFile {
    const span = interval === "Daily" ? DAY_MS : HOUR_MS;
    const start = this.options.start.getTime();
    // Out just before the simulation starts, and after its slot ended.
    const created = Math.floor(Math.max(slot + span + 1000, start - HOUR_MS) / 1000) * 1000;
    const id = fileId(this.profile.instance, created, KIND_DECLARED, source, slot);
    return {
      entry: this.entry(id, source, slot, created, interval, interval === "Daily" ? 0 : 1, content.bytes),
      replacedAt: Number.POSITIVE_INFINITY,
      retentionMs: source.retentionMs,
      factory: source.factory,
      content,
    };
  }

  private entry(
    id: string,
    source: EventTypeSource,
    logDate: number,
    created: number,
    interval: "Hourly" | "Daily",
    sequence: number,
    length: number,
  ): EventLogFileEntry {
    return {
      Id: id,
      EventType: source.schema.eventType,
      LogDate: logDate,
      CreatedDate: created,
      Interval: interval,
      Sequence: sequence,
      LogFileLength: length,
      LogFileFieldNames: source.schema.columns.map((c) => c.name).join(","),
      LogFileFieldTypes: source.schema.columns.map((c) => c.type).join(","),
      ApiVersion: Number.parseFloat(this.options.apiVersion),
      LogFileContentType: "CSV",
    };
  }
}

function isVisible(file: OrgFile, t: number): boolean {
  const created = file.entry.CreatedDate;
  return created <= t && t < created + file.retentionMs && t < file.replacedAt;
}

function byCreation(a: EventLogFileEntry, b: EventLogFileEntry): number {
  return a.CreatedDate - b.CreatedDate || (a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0);
}

/**
 * An 18-character 0AT id: the serial is CreatedDate's second then a discriminator that tells apart
 * files created in the same second (kind, event type, hour of the week of their slot).
 */
function fileId(
  instance: string,
  created: number,
  kind: number,
  source: EventTypeSource,
  slot: number,
): string {
  const hourOfWeek = Math.floor(slot / HOUR_MS) % 168;
  const discriminator = (kind * 32 + source.typeIndex) * 168 + hourOfWeek;
  const serial = (Math.floor(created / 1000) - ID_EPOCH_SECONDS) * 62 ** 3 + discriminator;
  return toCaseSafeId(`0AT${instance}${base62(serial, 10)}`);
}

type HourSlice = { hour: number; count: number; events: number[] };

function* eventFileLines(factory: EventRowFactory, content: HourSlice[]): Generator<string> {
  yield csvLine(factory.header);
  for (const values of eventRows(factory, content)) yield csvLine(values);
}

function* eventRows(factory: EventRowFactory, content: HourSlice[]): Generator<string[]> {
  for (const { hour, count, events } of content) {
    for (const i of events) yield factory.hourRow(hour, i, count);
  }
}

function rowValues(file: OrgFile): Generator<string[]> {
  return file.content instanceof DeclaredSizeFile
    ? file.content.rows()
    : eventRows(file.factory, file.content);
}
