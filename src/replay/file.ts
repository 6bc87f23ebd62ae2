import { basename } from "node:path";
import type { Readable } from "node:stream";
import type { DeadLetter } from "../core/dead-letters.js";
import type { SourceEvent } from "../core/event.js";
import { LogFileReader } from "../csv/log-file-reader.js";
import { rowJsonEncoder } from "../csv/row-json.js";
import { gunzippedIfGzip } from "../http/content-encoding.js";

/** What dead letters of a replay name as their source. */
export const REPLAY_SOURCE = "replay";

/** Header names are column names; anything else means the file is not an Event Log File CSV. */
const COLUMN_NAME = /^[A-Za-z_][\w .:/-]*$/;

/** A file that cannot be read as an Event Log File at all: its message is for the user. */
class UnreadableFile extends Error {}

/** Where one file's rows, bad rows and progress go: the run's output on the main thread, or a thread's messages. */
export interface FileReplaySink {
  /** A promise when the reader of the rows is behind: the file waits for it (backpressure). */
  write(event: SourceEvent): void | Promise<void>;
  deadLetter(letter: DeadLetter): Promise<void>;
  progress(rows: number, deadLetters: number): void;
}

/**
 * One replayed file: its rows read as an Event Log File and written to the sink, counted as they go,
 * so that a file that fails half-read still says how many of its rows were written.
 */
export class FileReplay {
  rows = 0;
  deadLetters = 0;

  constructor(
    readonly name: string,
    private readonly eventType: string | undefined,
    private readonly sink: FileReplaySink,
  ) {}

  async read(source: Readable): Promise<void> {
    const { name, eventType, sink } = this;
    const reader = new LogFileReader();
    const origin = { source: REPLAY_SOURCE, unit: name, eventType };
    let header: readonly string[] = [];
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
        await sink.deadLetter({
          reason: problem.reason,
          source: REPLAY_SOURCE,
          unit: name,
          eventType,
          line: problem.line,
          chars: problem.chars,
          payload: problem.excerpt,
        });
        this.deadLetters++;
      }
      if (encode !== undefined) {
        const { rows, plain } = batch;
        for (let i = 0; i < rows.length; i++) {
          const row = rows[i];
          const event: SourceEvent = {
            origin,
            line: row.line,
            fields: { kind: "csv", header, values: row.values },
            json: encode(row.values, plain[i]),
            // Declared now, so that setting it later keeps every event's shape the same.
            ecs: undefined,
          };
          const wait = sink.write(event);
          if (wait !== undefined) await wait;
        }
        this.rows += rows.length;
      }
      sink.progress(this.rows, this.deadLetters);
    }
    if (reader.header === undefined && !reader.unreadableHeader)
      throw new UnreadableFile(`${name} is empty: an Event Log File starts with a CSV header.`);
  }
}

/** `2026-11-20_Login.csv`, `Login-0AT5j00000AbCdE.csv.gz`: the type Salesforce's file browsers name files after. */
export function eventTypeFromFileName(file: string): string | undefined {
  if (file === "-") return undefined;
  const name = basename(file).replace(/(\.csv)?(\.gz)?$/i, "");
  const match = /^(?:\d{4}-\d\d-\d\d[_-])?([A-Z][A-Za-z0-9]*)(?:$|[-_.])/.exec(name);
  return match?.[1];
}

/** Why a file could not be replayed, in words that say what to do. */
export function describeFailure(file: string, err: unknown): string {
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
