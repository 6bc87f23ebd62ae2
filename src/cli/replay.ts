import { once } from "node:events";
import { createReadStream } from "node:fs";
import { basename } from "node:path";
import type { Readable, Writable } from "node:stream";
import { createGunzip } from "node:zlib";
import { Command, Option } from "commander";
import { LogFileReader } from "../csv/log-file-reader.js";
import { rowJsonEncoder } from "../csv/row-json.js";
import { GeoIpError } from "../normalize/geoip.js";
import { createNormalizer, type Normalizer } from "../normalize/normalizer.js";
import { DeadLetters } from "../outputs/dead-letter.js";

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
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
}

export interface ReplaySummary {
  rows: number;
  deadLetters: number;
  files: number;
  /** Files that could not be read at all (missing, not CSV, corrupt gzip). */
  failedFiles: number;
}

/** A file that cannot be read as an Event Log File at all: its message is for the user. */
class UnreadableFile extends Error {}

const GZIP_MAGIC = [0x1f, 0x8b];
const PROGRESS_INTERVAL_MS = 1000;
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
      try {
        const summary = await replay(files, options, {
          stdin: process.stdin,
          stdout: process.stdout,
          stderr: process.stderr,
        });
        if (summary.failedFiles > 0) process.exitCode = 1;
      } catch (err) {
        if (!(err instanceof GeoIpError)) throw err;
        process.stderr.write(`sfevents replay: ${err.message}\n`);
        process.exitCode = 1;
      }
    });
}

/** Replays files one after the other; a bad row or an unreadable file never stops the others. */
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
  const replayer = new Replayer(options, io, normalizer);
  try {
    for (const file of files) await replayer.file(file);
  } finally {
    await replayer.deadLetters.close();
    await normalizer?.close();
  }
  return replayer.finish();
}

/** The state of one replay run: where rows and dead letters go, and what has been counted. */
class Replayer {
  readonly deadLetters: DeadLetters;
  private readonly summary: ReplaySummary = { rows: 0, deadLetters: 0, files: 0, failedFiles: 0 };
  private readonly progress: Progress;

  constructor(
    private readonly options: ReplayOptions,
    private readonly io: ReplayIo,
    private readonly normalizer: Normalizer | undefined,
  ) {
    this.deadLetters = new DeadLetters(options.deadLetter);
    this.progress = new Progress(io.stderr);
  }

  async file(file: string): Promise<void> {
    const source = file === "-" ? this.io.stdin : createReadStream(file);
    const name = file === "-" ? "<stdin>" : file;
    try {
      await this.rows(source, name, this.options.eventType ?? eventTypeFromFileName(file));
      this.summary.files++;
    } catch (err) {
      this.summary.failedFiles++;
      this.progress.clear();
      this.io.stderr.write(`sfevents replay: ${describeFailure(file, err)}\n`);
    } finally {
      // A file abandoned half-read (not CSV) must not keep its descriptor open.
      if (source !== this.io.stdin) source.destroy();
    }
  }

  private async rows(source: Readable, name: string, eventType: string | undefined): Promise<void> {
    const reader = new LogFileReader();
    let encode: ((values: string[]) => string) | undefined;
    for await (const batch of reader.read(decompressed(source))) {
      if (encode === undefined && reader.header !== undefined) {
        if (!reader.header.every((column) => COLUMN_NAME.test(column)))
          throw new UnreadableFile(
            `${name} is not an Event Log File: its first line is not a CSV header of column names.`,
          );
        encode = encoderFor(reader.header, eventType, this.normalizer);
      }
      for (const problem of batch.problems) {
        await this.deadLetters.write({
          reason: problem.reason,
          fileId: name,
          eventType,
          line: problem.line,
          chars: problem.chars,
          payload: problem.excerpt,
        });
      }
      if (encode !== undefined && batch.rows.length > 0) {
        let out = "";
        for (const row of batch.rows) out += `${encode(row.values)}\n`;
        this.summary.rows += batch.rows.length;
        // Backpressure: a slow reader of standard output slows the replay instead of filling memory.
        if (!this.io.stdout.write(out)) await once(this.io.stdout, "drain");
      }
      this.progress.update(name, this.summary.rows, this.deadLetters.count);
    }
    if (reader.header === undefined && !reader.unreadableHeader)
      throw new UnreadableFile(`${name} is empty: an Event Log File starts with a CSV header.`);
  }

  /** The summary line on standard error, and the counts behind it. */
  finish(): ReplaySummary {
    const summary = { ...this.summary, deadLetters: this.deadLetters.count };
    this.progress.clear();
    const where = summary.deadLetters > 0 ? ` (in ${this.options.deadLetter})` : "";
    const failed = summary.failedFiles > 0 ? `, ${summary.failedFiles} unreadable` : "";
    this.io.stderr.write(
      `sfevents replay: ${summary.rows} rows, ${summary.deadLetters} dead letters${where}, ${summary.files} files${failed}\n`,
    );
    return summary;
  }
}

function encoderFor(
  header: string[],
  eventType: string | undefined,
  normalizer: Normalizer | undefined,
): (values: string[]) => string {
  return normalizer === undefined ? rowJsonEncoder(header) : normalizer.forHeader(header, eventType);
}

/** Gzip is recognised by its magic bytes, whatever the file is called. */
async function* decompressed(source: Readable): AsyncGenerator<Uint8Array> {
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  while (head.length < GZIP_MAGIC.length) {
    const next = await chunks.next();
    if (next.done) break;
    head = Buffer.concat([head, next.value]);
  }
  const rest = (async function* () {
    if (head.length > 0) yield head;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
  })();
  if (head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) {
    const gunzip = createGunzip();
    const feeding = (async () => {
      for await (const chunk of rest) if (!gunzip.write(chunk)) await once(gunzip, "drain");
      gunzip.end();
    })().catch((err: unknown) => gunzip.destroy(err as Error));
    yield* gunzip;
    await feeding;
  } else yield* rest;
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

/** One self-overwriting line on a terminal, at most once a second; nothing when stderr is a file. */
class Progress {
  private last = 0;
  private shown = false;

  constructor(private readonly stderr: Writable & { isTTY?: boolean }) {}

  update(file: string, rows: number, deadLetters: number): void {
    if (this.stderr.isTTY !== true) return;
    const now = Date.now();
    if (now - this.last < PROGRESS_INTERVAL_MS) return;
    this.last = now;
    this.shown = true;
    this.stderr.write(`\r\x1b[K${file}: ${rows} rows, ${deadLetters} dead letters`);
  }

  clear(): void {
    if (!this.shown) return;
    this.shown = false;
    this.stderr.write("\r\x1b[K");
  }
}
