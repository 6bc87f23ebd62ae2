import { eventFingerprint } from "../../core/identity.js";
import { type LogFileBatch, LogFileReader, type RowProblem } from "../../csv/log-file-reader.js";
import { rowJsonEncoder } from "../../csv/row-json.js";

export interface DecodeOptions {
  /** Keep each row's values for the normalizer; a thread leaves them out (they cross as the JSON). */
  values: boolean;
  /** Fingerprint each row for deduplication here (core/identity.ts) rather than in the state store. */
  fingerprints: boolean;
}

/** The rows one chunk of an Event Log File completed, read and encoded as raw events. */
export interface DecodedRows {
  /** The CSV header (empty if it could not be read): one array for every batch of a file. */
  header: readonly string[];
  /** Names the header repeats; their later columns carry a suffix (NAME_2, ...) in `header`. */
  repeatedColumns: readonly string[];
  /** Each row's 1-based line. */
  lines: Int32Array;
  /** Each row's raw event: its JSON, keyed by the header. */
  json: string[];
  values?: (readonly string[])[];
  /** Each row's eventFingerprint, when asked for. */
  fingerprints?: BigInt64Array;
  problems: RowProblem[];
}

/**
 * Turns an Event Log File's bytes into raw events, chunk by chunk: the CSV read, each row encoded
 * as JSON, and, when asked, fingerprinted. The same work on the main thread and on a worker thread
 * (decode-threads.ts), so both give the same events.
 */
export class LogFileDecoder {
  private readonly reader = new LogFileReader();
  private encode: ((values: readonly string[], plain?: boolean) => string) | undefined;

  constructor(private readonly options: DecodeOptions) {}

  write(chunk: Uint8Array): DecodedRows | undefined {
    const batch = this.reader.write(chunk);
    return batch && this.decoded(batch);
  }

  end(): DecodedRows | undefined {
    const batch = this.reader.end();
    return batch && this.decoded(batch);
  }

  /** Every chunk of a stream, as LogFileReader.read gives its batches. */
  async *read(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<DecodedRows> {
    for await (const batch of this.reader.read(chunks)) yield this.decoded(batch);
  }

  private decoded({ rows, plain, problems }: LogFileBatch): DecodedRows {
    const header = this.reader.header ?? NO_HEADER;
    this.encode ??= rowJsonEncoder(header);
    const encode = this.encode;
    const n = rows.length;
    const lines = new Int32Array(n);
    const json: string[] = new Array(n);
    const fingerprints = this.options.fingerprints ? new BigInt64Array(n) : undefined;
    for (let i = 0; i < n; i++) {
      const { line, values } = rows[i];
      lines[i] = line;
      json[i] = encode(values, plain[i]);
      if (fingerprints) fingerprints[i] = eventFingerprint(json[i]);
    }
    return {
      header,
      repeatedColumns: this.reader.repeatedColumns,
      lines,
      json,
      values: this.options.values ? rows.map((row) => row.values) : undefined,
      fingerprints,
      problems,
    };
  }
}

const NO_HEADER: readonly string[] = [];

/** A whole file decoded on this thread, as its bytes arrive. */
export function decodeLogFile(
  chunks: AsyncIterable<Uint8Array>,
  options: DecodeOptions,
): AsyncGenerator<DecodedRows> {
  return new LogFileDecoder(options).read(chunks);
}
