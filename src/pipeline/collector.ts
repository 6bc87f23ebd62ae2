import { uniqueColumnNames } from "../csv/column-names.js";
import { rowJsonEncoder } from "../csv/row-json.js";
import { count } from "../observability/count.js";
import type { Logger } from "../observability/logger.js";
import type { OutboundEvent, Output } from "../outputs/output.js";
import { discoverFiles, type QueryApi } from "../sources/event-log-files/discovery.js";
import { type DownloadApi, readEventLogFile } from "../sources/event-log-files/download.js";
import {
  chooseInterval,
  type DescribeApi,
  type IntervalChoice,
  type IntervalSetting,
} from "../sources/event-log-files/interval.js";
import { describeFile, type EventLogFile, fileKey, fileScope } from "../sources/event-log-files/records.js";
import type { DeliveredUnit, FingerprintUnit, RowFingerprints, StateStore } from "../state/index.js";
import { cursorAt, readCursor } from "../sources/event-log-files/cursor.js";
import type { DeadLetters } from "../outputs/dead-letter.js";
import { actionOf } from "../core/errors.js";
import type { Progress } from "../observability/progress.js";
import { FlushRounds } from "./flush-rounds.js";
import { Watermark } from "./watermark.js";

export interface CollectorSettings {
  interval: IntervalSetting;
  eventTypes: readonly string[];
  /** Where a first run starts: `start`, else now minus `lookback`. */
  lookback: number;
  start?: Date;
  /** How far before the cursor each discovery looks again, for files that became visible late. */
  overlap: number;
  concurrency: number;
  /** Delivered-file records are kept this long: at least Salesforce's 30-day retention. */
  retentionDays?: number;
  /**
   * Skip rows a delivered file of the same hour or day already carried (a replaced daily file, a
   * latent hourly file repeating rows). Costs a hash per row and a little SQLite.
   */
  deduplicateRows?: boolean;
  /** Attempts per file within one cycle (a reset download, a truncated gzip) before it waits for the next. */
  attemptsPerFile?: number;
}

export interface CollectorDeps {
  api: QueryApi & DownloadApi & DescribeApi;
  state: StateStore;
  outputs: readonly Output[];
  deadLetters: DeadLetters;
  logger: Logger;
  progress?: Progress;
  settings: CollectorSettings;
  /** The org's time (see SalesforceClient.orgNow): where a first run starts, what the state forgets. */
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

export interface FileFailure {
  file: string;
  error: string;
}

export interface CycleReport {
  interval: "hourly" | "daily";
  listed: number;
  delivered: number;
  rows: number;
  /** Rows not delivered again because a delivered file of the same hour or day already had them. */
  repeatedRows: number;
  deadLetters: number;
  /** Events an output sent again after a timeout, which the destination may now hold twice. */
  possibleDuplicates: number;
  failed: FileFailure[];
}

const DAY = 86_400_000;

/**
 * One collection cycle: discover new Event Log Files, stream each one to every output, and move the
 * checkpoint for a file only after every output acknowledged all of its rows. A crash at any moment
 * therefore re-delivers at most the files that were in flight, and never loses a row.
 */
export class Collector {
  private interval: IntervalChoice | undefined;
  /**
   * Counts output failures. An output that fails a delivery drops everything it held, including rows
   * of other files in flight; a file is acknowledged only if no failure happened while it was being
   * written, whatever its own flush() says.
   */
  private outputFailures = 0;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: CollectorDeps) {
    this.now = deps.now ?? (() => new Date());
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async runCycle(signal?: AbortSignal): Promise<CycleReport> {
    const { api, state, logger, settings, outputs } = this.deps;
    this.interval ??= await chooseInterval(settings.interval, api, logger);
    const interval = this.interval;
    const source = `event_log_files:${interval.mode}`;
    const cursor = this.cursor(source);
    const since = cursor
      ? new Date(Date.parse(cursor.createdDate) - settings.overlap)
      : (settings.start ?? new Date(this.now().getTime() - settings.lookback));

    const listing = await discoverFiles(api, { interval, eventTypes: settings.eventTypes, since }, logger);
    const delivered = listing.map((f) => state.isDelivered(source, fileKey(f)));
    const watermark = new Watermark(listing, (_, index) => delivered[index]);
    const pending = listing.map((file, index) => ({ file, index })).filter(({ index }) => !delivered[index]);
    logger.info(
      { interval: interval.mode, since: since.toISOString(), listed: listing.length, new: pending.length },
      `found ${count(pending.length, `new ${interval.mode} Event Log File`)} created since ${since.toISOString()}`,
    );

    const report: CycleReport = {
      interval: interval.mode,
      listed: listing.length,
      delivered: 0,
      rows: 0,
      repeatedRows: 0,
      deadLetters: 0,
      possibleDuplicates: 0,
      failed: [],
    };
    const deadLettersBefore = this.deps.deadLetters.count;
    const possibleDuplicatesBefore = possibleDuplicates(outputs);
    // An error that stops collection (a rejected intake key, revoked credentials) or ends the cycle
    // (an output that gave up, a state that cannot be written) stops every worker, not just its own.
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    // Thrown once every worker has settled.
    let fatal: unknown;
    const fail = (file: EventLogFile, err: unknown) => {
      const action = actionOf(err);
      if (action === "stop") {
        fatal ??= err;
        stop.abort(err);
        return;
      }
      if (stop.signal.aborted) return; // shutting down: the file stays undelivered, nothing to report
      const message = err instanceof Error ? err.message : String(err);
      report.failed.push({ file: describeFile(file), error: message });
      logger.error(
        { fileId: file.Id, eventType: file.EventType, err: message },
        `${describeFile(file)} not delivered this cycle: ${message}`,
      );
      if (action === "end-cycle") stop.abort(err);
    };
    const rounds = new FlushRounds(async () => {
      await this.watchOutput(Promise.all(outputs.map((o) => o.flush())));
    });
    const acknowledgements: Promise<void>[] = [];
    // Files of one scope (event type, interval, log date) go one after the other: a file may repeat
    // rows of an earlier one, which deduplication only sees once that one is acknowledged.
    const scopes = new Map<string, Promise<void>>();
    let nextIndex = 0;

    const worker = async () => {
      while (!stop.signal.aborted && nextIndex < pending.length) {
        const { file, index } = pending[nextIndex++];
        const scope = fileScope(file);
        let settle!: () => void;
        const settled = new Promise<void>((resolve) => {
          settle = resolve;
        });
        const previous = scopes.get(scope);
        scopes.set(scope, settled);
        await previous;
        let written: WrittenFile;
        try {
          written = await this.writeFile(file, source, stop.signal);
        } catch (err) {
          fail(file, err);
          settle();
          continue;
        }
        // The next download starts while this file waits for its acknowledgement.
        const acknowledged = rounds.acknowledge().then(() => {
          if (this.outputFailures !== written.outputFailuresAtStart) {
            throw new Error(
              "an output failed while this file was being delivered, and may have dropped some of its rows",
            );
          }
          this.recordDelivery(file, written, watermark.complete(index), source, report);
        });
        acknowledgements.push(acknowledged.catch((err) => fail(file, err)).finally(settle));
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(settings.concurrency, pending.length) }, worker));
      await Promise.all(acknowledgements);
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    if (fatal !== undefined) throw fatal;

    // Housekeeping only, and only after a cycle that ran its course (the state may be what failed).
    if (!stop.signal.aborted) state.prune(source, this.forgetBefore(source));
    report.deadLetters = this.deps.deadLetters.count - deadLettersBefore;
    report.possibleDuplicates = possibleDuplicates(outputs) - possibleDuplicatesBefore;
    return report;
  }

  /**
   * Delivered-file records older than this may go: past Salesforce's retention by the org's clock
   * (the host's may be days off), and never a record the next discovery's overlap can list again.
   */
  private forgetBefore(source: string): Date {
    const retained = this.now().getTime() - (this.deps.settings.retentionDays ?? 31) * DAY;
    const cursor = this.cursor(source);
    const relisted = cursor ? Date.parse(cursor.createdDate) - this.deps.settings.overlap : retained;
    return new Date(Math.min(retained, relisted));
  }

  private cursor(source: string) {
    const checkpoint = this.deps.state.checkpoint(source);
    return checkpoint === undefined ? undefined : readCursor(checkpoint, source);
  }

  /** The file is acknowledged by every output: its checkpoint, and the cursor if the prefix grew. */
  private recordDelivery(
    file: EventLogFile,
    written: WrittenFile,
    position: EventLogFile | undefined,
    source: string,
    report: CycleReport,
  ): void {
    this.deps.state.markDelivered(
      deliveredUnit(file, source, written.rows),
      position && cursorAt(position),
      written.fingerprints,
    );
    report.delivered++;
    report.rows += written.rows;
    report.repeatedRows += written.repeatedRows;
    this.deps.progress?.doneUnit(describeFile(file), written.rows);
    const skipped =
      written.repeatedRows > 0
        ? ` (${count(written.repeatedRows, "row")} already delivered by an earlier file skipped)`
        : "";
    this.deps.logger.info(
      {
        fileId: file.Id,
        eventType: file.EventType,
        logDate: file.LogDate,
        sequence: file.Sequence,
        rows: written.rows,
        repeatedRows: written.repeatedRows,
      },
      `delivered ${describeFile(file)}: ${count(written.rows, "row")}${skipped}`,
    );
  }

  /** Streams one file to every output, downloading it again after a broken download. */
  private async writeFile(file: EventLogFile, source: string, signal: AbortSignal): Promise<WrittenFile> {
    const attempts = this.deps.settings.attemptsPerFile ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        const written = await this.streamFile(file, source, signal);
        if (attempt > 1) {
          this.deps.logger.info(
            { fileId: file.Id, attempts: attempt },
            `${describeFile(file)}: downloaded in full at attempt ${attempt}`,
          );
        }
        return written;
      } catch (err) {
        const action = actionOf(err);
        // Read again only what may come whole next time; a bug gets the benefit of the doubt.
        if (signal.aborted || (action !== undefined && action !== "retry-unit") || attempt >= attempts)
          throw err;
        const message = err instanceof Error ? err.message : String(err);
        // One warning per broken file, not one per attempt: the later attempts are detail.
        const log =
          attempt === 1
            ? this.deps.logger.warn.bind(this.deps.logger)
            : this.deps.logger.debug.bind(this.deps.logger);
        log(
          { fileId: file.Id, attempt, err: message },
          `${describeFile(file)}: ${message}; downloading it again (attempt ${attempt + 1} of ${attempts})`,
        );
        await this.sleep(1000 * attempt);
      }
    }
  }

  /** Output promises pass through here, so that any failure is counted (see outputFailures). */
  private async watchOutput<T>(pending: Promise<T>): Promise<T> {
    try {
      return await pending;
    } catch (err) {
      this.outputFailures++;
      throw err;
    }
  }

  private async streamFile(file: EventLogFile, source: string, signal: AbortSignal): Promise<WrittenFile> {
    const { api, outputs, deadLetters, logger, progress, state, settings } = this.deps;
    const origin = { fileId: file.Id, eventType: file.EventType };
    const outputFailuresAtStart = this.outputFailures;
    const fingerprints =
      settings.deduplicateRows === false ? undefined : state.rowFingerprints(fingerprintUnit(file, source));
    let repeatedRows = 0;
    let encode: ((values: readonly string[]) => string) | undefined;
    let header: readonly string[] = [];
    let rows = 0;
    const unit = describeFile(file);
    progress?.startUnit(unit);
    for await (const batch of readEventLogFile(api, file, signal)) {
      if (encode === undefined) {
        header = batch.header;
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
      for (const problem of batch.problems) {
        await deadLetters.write({
          reason: problem.reason,
          fileId: file.Id,
          eventType: file.EventType,
          line: problem.line,
          chars: problem.chars,
          payload: problem.excerpt,
        });
      }
      for (const row of batch.rows) {
        const event: OutboundEvent = { origin, header, row, json: encode(row.values) };
        if (fingerprints?.seen(event.json)) {
          repeatedRows++;
          continue;
        }
        for (const output of outputs) {
          const wait = output.write(event);
          if (wait !== undefined) await this.watchOutput(wait);
        }
      }
      rows += batch.rows.length;
      progress?.rows(unit, rows);
    }
    return { rows: rows - repeatedRows, repeatedRows, outputFailuresAtStart, fingerprints };
  }
}

function possibleDuplicates(outputs: readonly Output[]): number {
  return outputs.reduce((sum, output) => sum + (output.possibleDuplicates ?? 0), 0);
}

/** The file whose rows are fingerprinted, in the state's terms. */
function fingerprintUnit(file: EventLogFile, source: string): FingerprintUnit {
  return { source, key: fileKey(file), scope: fileScope(file) };
}

/** A delivered file in the state's terms, with what a person reading the state wants to know of it. */
function deliveredUnit(file: EventLogFile, source: string, rows: number): DeliveredUnit {
  return {
    ...fingerprintUnit(file, source),
    position: file.CreatedDate,
    rows,
    detail: {
      eventType: file.EventType,
      interval: file.Interval ?? "Daily",
      logDate: file.LogDate,
      createdDate: file.CreatedDate,
      sequence: file.Sequence ?? 0,
      length: file.LogFileLength,
    },
  };
}

interface WrittenFile {
  /** Rows handed to the outputs. */
  rows: number;
  repeatedRows: number;
  outputFailuresAtStart: number;
  fingerprints: RowFingerprints | undefined;
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
