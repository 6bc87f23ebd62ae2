import { createReadStream } from "node:fs";
import { basename } from "node:path";
import type { Readable } from "node:stream";
import { Command, Option } from "commander";
import { LogFileReader } from "../csv/log-file-reader.js";
import { rowJsonEncoder } from "../csv/row-json.js";
import { gunzippedIfGzip } from "../http/content-encoding.js";
import { GeoIpError } from "../normalize/geoip.js";
import { createNormalizer } from "../normalize/normalizer.js";
import { sharedEcs } from "../normalize/shared-ecs.js";
import { count } from "../observability/count.js";
import { type Progress, type ProgressStream, terminalProgress } from "../observability/progress.js";
import { DeadLetters } from "../outputs/dead-letter.js";
import { STDOUT_PATH } from "../outputs/file/config.js";
import { FileOutput } from "../outputs/file/sink.js";
import type { SourceEvent } from "../core/event.js";
import { OutputError } from "../core/output.js";
import { EVENT_TYPE_SCHEMAS } from "../salesforce/event-types.js";

/** What dead letters of a replay name as their source. */
const REPLAY_SOURCE = "replay";

export interface ReplayOptions {
  format: "raw" | "ecs";
  eventType?: string;
  deadLetter: string;
  geoip?: string;
  asn?: string;
  includeOriginal?: boolean;
}

/** Where a replay reads and writes; the process's own streams unless a test gives others. */
export interface ReplayIo {
  stdin: Readable;
  stdout: NodeJS.WritableStream;
  stderr: ProgressStream;
}

export interface ReplaySummary {
  rows: number;
  deadLetters: number;
  files: number;
  /** Files that could not be read at all (missing, not CSV, corrupt gzip). */
  failedFiles: number;
  /** Standard output was closed by its reader (`| head`): the replay stopped there, as asked. */
  stdoutClosed: boolean;
}

/** Exit codes besides 0 (README.md, "Commands"): a script must notice rows it did not get. */
const EXIT_UNREADABLE_FILE = 1;
/** An option's value that cannot be right (a refused --event-type): nothing was read. */
const EXIT_USAGE = 2;
/** Every file was read, but rows went to the dead letters. */
const EXIT_DEAD_LETTERS = 3;

/** A file that cannot be read as an Event Log File at all: its message is for the user. */
class UnreadableFile extends Error {}

/**
 * Text gathered before a write to standard output: what a pipe holds. Chunks this small die young in
 * the garbage collector, where the file output's default megabyte made replay a third slower.
 */
const STDOUT_CHUNK_CHARS = 64 * 1024;
const KNOWN_EVENT_TYPES = EVENT_TYPE_SCHEMAS.map((schema) => schema.eventType);
/** How EventLogFile's EventType values are written: Login, URI, ApexCallout. */
const EVENT_TYPE_NAME = /^[A-Z][A-Za-z0-9]*$/;
/** Header names are column names; anything else means the file is not an Event Log File CSV. */
const COLUMN_NAME = /^[A-Za-z_][\w .:/-]*$/;

export function command(): Command {
  return new Command("replay")
    .description(
      "Read Event Log File CSVs (plain or .gz, '-' for standard input) and print their events as NDJSON.",
    )
    .argument("<file...>", "Event Log File CSVs, plain or gzip-compressed; '-' reads standard input")
    .addOption(
      new Option("--format <format>", "raw: the row as JSON, as Sekoia.io reads it; ecs: ECS documents")
        .choices(["raw", "ecs"])
        .default("raw"),
    )
    .option(
      "--event-type <type>",
      "event type of files whose header has no EVENT_TYPE column (otherwise read from the file name)",
    )
    .option("--dead-letter <file>", "where rows that cannot be read go", "./sfevents-dead-letters.ndjson")
    .option("--geoip <path>", "MaxMind or DB-IP City/Country .mmdb file for source.geo.* (ecs format)")
    .option("--asn <path>", "MaxMind or DB-IP ASN .mmdb file for source.as.* (ecs format)")
    .option("--include-original", "add event.original, the raw row, to ECS documents")
    .action(async (files: string[], options: ReplayOptions) => {
      if (options.eventType !== undefined) {
        const check = checkEventType(options.eventType);
        if (check.refused) {
          process.stderr.write(`sfevents replay: ${check.message}\n`);
          process.exitCode = EXIT_USAGE;
          return;
        }
        if (check.message !== undefined) process.stderr.write(`sfevents replay: warning: ${check.message}\n`);
      }
      try {
        const summary = await replay(files, options, {
          stdin: process.stdin,
          stdout: process.stdout,
          stderr: process.stderr,
        });
        process.exitCode = exitCode(summary);
      } catch (err) {
        if (!(err instanceof GeoIpError)) throw err;
        process.stderr.write(`sfevents replay: ${err.message}\n`);
        process.exitCode = 1;
      }
    });
}

/**
 * What a value of --event-type is worth. A value not written like an EventType, or one differing
 * from a known type only by case (`login`), is a mistake and refused. A well-formed type sfevents has
 * no columns for is only warned about: Salesforce has more event types than sfevents knows, and a
 * file's header names its columns anyway.
 */
function checkEventType(eventType: string): { refused: boolean; message?: string } {
  if (KNOWN_EVENT_TYPES.includes(eventType)) return { refused: false };
  const howToList = "`SELECT EventType FROM EventLogFile` lists those of your org.";
  const sameButCase = KNOWN_EVENT_TYPES.find((known) => known.toLowerCase() === eventType.toLowerCase());
  if (sameButCase !== undefined || !EVENT_TYPE_NAME.test(eventType))
    return {
      refused: true,
      message: `--event-type "${eventType}" is not an Event Log File event type${sameButCase ? `; did you mean ${sameButCase}?` : "."} Event types are written as Salesforce spells them (Login, URI, ApexCallout); ${howToList}`,
    };
  return {
    refused: false,
    message: `--event-type ${eventType} is not one of the event types sfevents knows (${KNOWN_EVENT_TYPES.join(", ")}); its rows are replayed with the columns their header names. If it is a typo, ${howToList}`,
  };
}

/** The process's exit code for a replay that ran to its end. */
function exitCode(summary: ReplaySummary): number {
  if (summary.stdoutClosed) return 0;
  if (summary.failedFiles > 0) return EXIT_UNREADABLE_FILE;
  return summary.deadLetters > 0 ? EXIT_DEAD_LETTERS : 0;
}

/**
 * Replays files one after the other; a bad row or an unreadable file never stops the others. A
 * standard output closed by its reader (`| head -1`) ends the replay quietly, as it ends `cat`.
 */
export async function replay(
  files: readonly string[],
  options: ReplayOptions,
  io: ReplayIo,
): Promise<ReplaySummary> {
  const normalizer =
    options.format === "ecs"
      ? await createNormalizer({
          geoipPath: options.geoip,
          asnPath: options.asn,
          includeOriginal: options.includeOriginal,
        })
      : undefined;
  const output = await FileOutput.open({
    path: STDOUT_PATH,
    stdout: io.stdout,
    chunkChars: STDOUT_CHUNK_CHARS,
    encode: normalizer && sharedEcs(normalizer),
  });
  const replayer = new Replayer(options, io, output);
  // A failed write is reported to the write itself; without a listener the stream's own 'error'
  // event (EPIPE once the reader has gone) would end the process with a stack trace.
  const ignore = () => {};
  io.stdout.on("error", ignore);
  try {
    for (const file of files) await replayer.file(file);
    await output.flush();
  } catch (err) {
    if (!isClosedStdout(err)) throw err;
    replayer.stdoutClosed();
  } finally {
    await output.close();
    await replayer.deadLetters.close();
    await normalizer?.close();
    io.stdout.off("error", ignore);
  }
  return replayer.finish();
}

function isClosedStdout(err: unknown): boolean {
  return err instanceof OutputError && (err.cause as NodeJS.ErrnoException | undefined)?.code === "EPIPE";
}

/** The state of one replay run: where rows and dead letters go, and what has been counted. */
class Replayer {
  readonly deadLetters: DeadLetters;
  private readonly summary: ReplaySummary = {
    rows: 0,
    deadLetters: 0,
    files: 0,
    failedFiles: 0,
    stdoutClosed: false,
  };
  private readonly progress: Progress | undefined;

  constructor(
    private readonly options: ReplayOptions,
    private readonly io: ReplayIo,
    private readonly output: FileOutput,
  ) {
    this.deadLetters = new DeadLetters(options.deadLetter);
    this.progress = terminalProgress(io.stderr);
  }

  async file(file: string): Promise<void> {
    const source = file === "-" ? this.io.stdin : createReadStream(file);
    const name = file === "-" ? "<stdin>" : file;
    const rowsBefore = this.summary.rows;
    this.progress?.startUnit(name);
    try {
      await this.rows(source, name, this.options.eventType ?? eventTypeFromFileName(file));
      this.summary.files++;
    } catch (err) {
      if (isClosedStdout(err)) throw err;
      this.summary.failedFiles++;
      this.progress?.failUnit(name, this.summary.rows - rowsBefore);
      this.io.stderr.write(`sfevents replay: ${describeFailure(file, err)}\n`);
    } finally {
      // A file abandoned half-read (not CSV) must not keep its descriptor open.
      if (source !== this.io.stdin) source.destroy();
    }
  }

  private async rows(source: Readable, name: string, eventType: string | undefined): Promise<void> {
    const reader = new LogFileReader();
    const origin = { source: REPLAY_SOURCE, unit: name, eventType };
    const deadLettersBefore = this.deadLetters.count;
    let header: readonly string[] = [];
    let rows = 0;
    let encode: ReturnType<typeof rowJsonEncoder> | undefined;
    for await (const batch of reader.read(gunzippedIfGzip(source))) {
      if (encode === undefined && reader.header !== undefined) {
        if (!reader.header.every((column) => COLUMN_NAME.test(column)))
          throw new UnreadableFile(
            `${name} is not an Event Log File: its first line is not a CSV header of column names.`,
          );
        header = reader.header;
        encode = rowJsonEncoder(header);
      }
      for (const problem of batch.problems) {
        await this.deadLetters.write({
          reason: problem.reason,
          source: REPLAY_SOURCE,
          unit: name,
          eventType,
          line: problem.line,
          chars: problem.chars,
          payload: problem.excerpt,
        });
      }
      if (encode !== undefined) {
        const { rows: batchRows, plain } = batch;
        for (let i = 0; i < batchRows.length; i++) {
          const row = batchRows[i];
          const event: SourceEvent = {
            origin,
            line: row.line,
            fields: { kind: "csv", header, values: row.values },
            json: encode(row.values, plain[i]),
            // Declared now, so that setting it later keeps every event's shape the same.
            ecs: undefined,
          };
          // Backpressure: a slow reader of standard output slows the replay instead of filling memory.
          const wait = this.output.write(event);
          if (wait !== undefined) await wait;
        }
        rows += batch.rows.length;
        this.summary.rows += batch.rows.length;
      }
      this.progress?.rows(name, rows, this.deadLetters.count - deadLettersBefore);
    }
    if (reader.header === undefined && !reader.unreadableHeader)
      throw new UnreadableFile(`${name} is empty: an Event Log File starts with a CSV header.`);
    this.progress?.doneUnit(name, rows, this.deadLetters.count - deadLettersBefore);
  }

  stdoutClosed(): void {
    this.summary.stdoutClosed = true;
  }

  /**
   * The summary line on standard error, and the counts behind it; none once standard output was
   * closed, since its reader asked for no more.
   */
  finish(): ReplaySummary {
    const summary = { ...this.summary, deadLetters: this.deadLetters.count };
    if (summary.stdoutClosed) return summary;
    const where = summary.deadLetters > 0 ? ` (in ${this.options.deadLetter})` : "";
    const failed = summary.failedFiles > 0 ? `, ${summary.failedFiles} unreadable` : "";
    this.io.stderr.write(
      `sfevents replay: ${count(summary.rows, "row")}, ${count(summary.deadLetters, "dead letter")}${where}, ${count(summary.files, "file")}${failed}\n`,
    );
    return summary;
  }
}

/** `2026-11-20_Login.csv`, `Login-0AT5j00000AbCdE.csv.gz`: the type Salesforce's file browsers name files after. */
export function eventTypeFromFileName(file: string): string | undefined {
  if (file === "-") return undefined;
  const name = basename(file).replace(/(\.csv)?(\.gz)?$/i, "");
  const match = /^(?:\d{4}-\d\d-\d\d[_-])?([A-Z][A-Za-z0-9]*)(?:$|[-_.])/.exec(name);
  return match?.[1];
}

function describeFailure(file: string, err: unknown): string {
  if (err instanceof UnreadableFile) return err.message;
  const code = (err as NodeJS.ErrnoException).code;
  const name = file === "-" ? "standard input" : file;
  switch (code) {
    case "ENOENT":
      return `cannot read ${name}: no such file. Check the path.`;
    case "EACCES":
      return `cannot read ${name}: permission denied.`;
    case "EISDIR":
      return `cannot read ${name}: it is a directory; give the CSV files inside it.`;
    case "Z_DATA_ERROR":
    case "Z_BUF_ERROR":
      return `cannot read ${name}: it starts like a gzip file but is not a valid one (${(err as Error).message}).`;
    default:
      return `cannot read ${name}: ${(err as Error).message}`;
  }
}
