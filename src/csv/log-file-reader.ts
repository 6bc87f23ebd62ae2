import type { ReadProblem } from "../core/event.js";
import { uniqueColumnNames } from "./column-names.js";
import { CsvParser } from "./parser.js";

/** A row that could not be read as written: always with the line where it starts. */
export interface RowProblem extends ReadProblem {
  line: number;
}

export interface LogFileRow {
  line: number;
  values: string[];
}

/** What one chunk of input yielded: rows are batched so the per-row cost stays a function call. */
export interface LogFileBatch {
  rows: LogFileRow[];
  /** For each row: no value holds a character JSON escapes (see rowJsonEncoder). */
  plain: boolean[];
  problems: RowProblem[];
}

/**
 * Reads an Event Log File (or any CSV with a header) from a stream of bytes: UTF-8 decoding across
 * chunk boundaries (a BOM is dropped, an invalid byte becomes U+FFFD and the row is reported), the
 * header, and rows checked against it. Memory holds one chunk and at most one record.
 *
 * A first record that cannot be read (too long, malformed) leaves the file without columns: it is
 * reported, and so is every row after it, rather than taking the first row for the header.
 */
export class LogFileReader {
  /** The CSV header, known once the first record has been read; a repeated name gets a suffix. */
  header: string[] | undefined;
  /** Names the file's header repeats (their later columns are named NAME_2, NAME_3, ...). */
  repeatedColumns: string[] = [];
  /** Set when the first record could not be read: every row is then a problem. */
  unreadableHeader = false;
  private rows: LogFileRow[] = [];
  private plain: boolean[] = [];
  private problems: RowProblem[] = [];
  private headerLine = 1;
  private readonly parser: CsvParser;
  private readonly decoder = new TextDecoder("utf-8");

  constructor() {
    this.parser = new CsvParser({
      record: (fields, line, plain) => {
        if (this.unreadableHeader) {
          this.refuse(
            line,
            `the header on line ${this.headerLine} could not be read, so the columns of this row are unknown`,
            fields,
          );
          return;
        }
        if (this.header === undefined) {
          const { names, repeated } = uniqueColumnNames(fields);
          this.header = names;
          this.repeatedColumns = repeated;
          return;
        }
        if (fields.length !== this.header.length) {
          this.refuse(line, `expected ${this.header.length} columns, found ${fields.length}`, fields);
          return;
        }
        // A plain record holds no U+FFFD.
        for (let i = 0; !plain && i < fields.length; i++) {
          if (fields[i].includes("\uFFFD")) {
            this.refuse(line, `invalid UTF-8 in column ${this.header[i]}`, fields);
            return;
          }
        }
        this.rows.push({ line, values: fields });
        this.plain.push(plain);
      },
      problem: (p) => {
        if (this.header === undefined && !this.unreadableHeader) {
          this.unreadableHeader = true;
          this.headerLine = p.line;
        }
        this.problems.push(p);
      },
    });
  }

  async *read(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<LogFileBatch> {
    for await (const chunk of chunks) {
      const batch = this.write(chunk);
      if (batch) yield batch;
    }
    const last = this.end();
    if (last) yield last;
  }

  /** Reads one more chunk: the rows and problems it completed, if any. */
  write(chunk: Uint8Array | string): LogFileBatch | undefined {
    this.parser.write(typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true }));
    return this.taken();
  }

  /** The input has ended: what its last record held, if anything. */
  end(): LogFileBatch | undefined {
    this.parser.write(this.decoder.decode());
    this.parser.end();
    return this.taken();
  }

  /** A row read but not deliverable: its fields, cut to a readable length, say what it held. */
  private refuse(line: number, reason: string, fields: string[]): void {
    this.problems.push({ line, reason, excerpt: JSON.stringify(fields).slice(0, 2000) });
  }

  private taken(): LogFileBatch | undefined {
    if (this.rows.length === 0 && this.problems.length === 0) return undefined;
    const batch = { rows: this.rows, plain: this.plain, problems: this.problems };
    this.rows = [];
    this.plain = [];
    this.problems = [];
    return batch;
  }
}
