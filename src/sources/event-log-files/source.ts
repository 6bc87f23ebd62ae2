import type { EventOrigin, SourceEvent } from "../../core/event.js";
import type { Listing, Source, UnitBatch, WorkUnit } from "../../core/source.js";
import { uniqueColumnNames } from "../../csv/column-names.js";
import { rowJsonEncoder } from "../../csv/row-json.js";
import type { Logger } from "../../observability/logger.js";
import { cursorAt, readCursor } from "./cursor.js";
import { discoverFiles, type QueryApi } from "./discovery.js";
import { type DownloadApi, readEventLogFile } from "./download.js";
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
    const { api, logger } = this.deps;
    let encode: ReturnType<typeof rowJsonEncoder> | undefined;
    for await (const batch of readEventLogFile(api, file, signal)) {
      const { header } = batch;
      if (encode === undefined) {
        encode = rowJsonEncoder(header);
        // Without a header (it could not be read) every row is a dead letter, not a drift.
        if (header.length > 0) warnOnSchemaDrift(file, header, logger);
        if (batch.repeatedColumns.length > 0) {
          logger.warn(
            { fileId: file.Id, eventType: file.EventType, repeated: batch.repeatedColumns },
            `${describeFile(file)}: the CSV header repeats ${batch.repeatedColumns.join(", ")}; every value is kept, the later columns named with a suffix (${batch.repeatedColumns[0]}_2, ...)`,
          );
        }
      }
      const events: SourceEvent[] = new Array(batch.rows.length);
      for (let i = 0; i < batch.rows.length; i++) {
        const { line, values } = batch.rows[i];
        // `ecs` declared now, so that setting it later keeps every event's shape the same.
        events[i] = {
          origin,
          line,
          fields: { kind: "csv", header, values },
          json: encode(values, batch.plain[i]),
          ecs: undefined,
        };
      }
      yield { events, problems: batch.problems };
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
