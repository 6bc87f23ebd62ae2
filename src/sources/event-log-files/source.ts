import type { EventOrigin, SourceEvent } from "../../core/event.js";
import type { Listing, Source, UnitBatch, WorkUnit } from "../../core/source.js";
import { uniqueColumnNames } from "../../csv/column-names.js";
import { FieldsFromJson } from "../../csv/row-json.js";
import type { Logger } from "../../observability/logger.js";
import { cursorAt, readCursor } from "./cursor.js";
import { discoverFiles, type QueryApi } from "./discovery.js";
import { type DecodedRows, decodeLogFile } from "./decode.js";
import { type DecodeThreads, SMALLEST_THREADED_FILE } from "./decode-threads.js";
import type { DownloadApi } from "./download.js";
import { chooseInterval, type DescribeApi, type IntervalChoice, type IntervalSetting } from "./interval.js";
import { describeFile, type EventLogFile, fileKey, fileScope } from "./records.js";

export interface EventLogFileSettings {
  interval: IntervalSetting;
  eventTypes: readonly string[];
  /** Where a first run starts: `start`, else now minus `lookback`. */
  lookback: number;
  start?: Date;
  /** How far before the cursor each listing looks again, for files that became visible late. */
  overlap: number;
}

export interface EventLogFileDeps {
  api: QueryApi & DownloadApi & DescribeApi;
  logger: Logger;
  settings: EventLogFileSettings;
  /** The org's time (see SalesforceClient.orgNow): where a first run starts. */
  now?: () => Date;
  /** Where files are decoded, when not on the main thread; shared by every org of the process. */
  threads?: DecodeThreads;
  /** Whether the engine deduplicates rows: a thread then fingerprints them too. */
  deduplicate?: boolean;
}

/**
 * Event Log Files: each file is a unit, listed by (CreatedDate, Id) from the cursor minus the
 * overlap, and read as a stream of CSV rows. The files of one event type's hour or day form a scope:
 * a regenerated or latent file may repeat rows of an earlier one.
 */
export class EventLogFileSource implements Source {
  private interval: IntervalChoice | undefined;
  private readonly now: () => Date;

  constructor(private readonly deps: EventLogFileDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  get id(): string {
    return `event_log_files:${this.mode}`;
  }

  get unitNoun(): string {
    return `${this.mode} Event Log File`;
  }

  private get mode(): IntervalChoice["mode"] {
    if (this.interval === undefined) throw new Error("the Event Log File source is not open yet");
    return this.interval.mode;
  }

  async open(): Promise<void> {
    this.interval = await chooseInterval(this.deps.settings.interval, this.deps.api, this.deps.logger);
  }

  async list(checkpoint: string | undefined): Promise<Listing> {
    const { api, settings, logger } = this.deps;
    const interval = this.interval;
    if (interval === undefined) throw new Error("the Event Log File source is not open yet");
    const cursor = checkpoint === undefined ? undefined : readCursor(checkpoint, this.id);
    const since = cursor
      ? new Date(Date.parse(cursor.createdDate) - settings.overlap)
      : (settings.start ?? new Date(this.now().getTime() - settings.lookback));
    const files = await discoverFiles(api, { interval, eventTypes: settings.eventTypes, since }, logger);
    return { since, units: files.map((file) => this.unit(file)) };
  }

  private unit(file: EventLogFile): WorkUnit {
    const origin: EventOrigin = { source: this.id, unit: file.Id, eventType: file.EventType };
    return {
      key: fileKey(file),
      name: describeFile(file),
      scope: fileScope(file),
      position: file.CreatedDate,
      checkpoint: cursorAt(file),
      origin,
      logFields: {
        fileId: file.Id,
        eventType: file.EventType,
        logDate: file.LogDate,
        sequence: file.Sequence,
        ...(this.threadFor(file) ? { decodedOnThread: true } : {}),
      },
      detail: {
        eventType: file.EventType,
        interval: file.Interval ?? "Daily",
        logDate: file.LogDate,
        createdDate: file.CreatedDate,
        sequence: file.Sequence ?? 0,
        length: file.LogFileLength,
      },
      read: (signal) => this.read(file, origin, signal),
    };
  }

  private async *read(
    file: EventLogFile,
    origin: EventOrigin,
    signal: AbortSignal,
  ): AsyncGenerator<UnitBatch> {
    const { api, deduplicate = true } = this.deps;
    const threads = this.threadFor(file);
    const body = await api.download(file.LogFile, signal);
    const decoded = threads
      ? threads.decode(body, deduplicate)
      : decodeLogFile(body, { values: true, fingerprints: false });
    let first = true;
    for await (const rows of decoded) {
      if (first) {
        first = false;
        this.warnOnHeader(file, rows);
      }
      const { header, lines, json, values, fingerprints } = rows;
      const events: SourceEvent[] = new Array(json.length);
      for (let i = 0; i < json.length; i++) {
        // `ecs` declared now, so that setting it later keeps every event's shape the same.
        events[i] = {
          origin,
          line: lines[i],
          fields: values ? { kind: "csv", header, values: values[i] } : new FieldsFromJson(header, json[i]),
          json: json[i],
          fingerprint: fingerprints?.[i],
          ecs: undefined,
        };
      }
      yield { events, problems: rows.problems };
    }
  }

  /** The threads that decode `file`, if it is large enough to be worth handing over. */
  private threadFor(file: EventLogFile): DecodeThreads | undefined {
    return file.LogFileLength >= SMALLEST_THREADED_FILE ? this.deps.threads : undefined;
  }

  private warnOnHeader(file: EventLogFile, { header, repeatedColumns }: DecodedRows): void {
    const { logger } = this.deps;
    // Without a header (it could not be read) every row is a dead letter, not a drift.
    if (header.length > 0) warnOnSchemaDrift(file, header, logger);
    if (repeatedColumns.length > 0) {
      logger.warn(
        { fileId: file.Id, eventType: file.EventType, repeated: repeatedColumns },
        `${describeFile(file)}: the CSV header repeats ${repeatedColumns.join(", ")}; every value is kept, the later columns named with a suffix (${repeatedColumns[0]}_2, ...)`,
      );
    }
  }
}

/** Salesforce changes a type's columns between releases; the CSV header is what counts, but say so. */
function warnOnSchemaDrift(file: EventLogFile, header: readonly string[], logger: Logger): void {
  if (!file.LogFileFieldNames) return;
  // Named as the header's columns are: a repeated name counts as the same suffixed one.
  const declared = uniqueColumnNames(file.LogFileFieldNames.split(",")).names;
  if (declared.length === header.length && declared.every((name, i) => name === header[i])) return;
  logger.warn(
    {
      fileId: file.Id,
      eventType: file.EventType,
      declared: file.LogFileFieldNames,
      header: header.join(","),
    },
    `${describeFile(file)}: the CSV header differs from LogFileFieldNames; reading the columns by the header`,
  );
}
