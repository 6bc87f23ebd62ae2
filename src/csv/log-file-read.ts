import type { CsvFields, EventOrigin, SourceEvent } from "../core/event.js";
import type { UnitBatch } from "../core/source.js";
import { LogFileReader } from "./log-file-reader.js";
import { rowJsonEncoder } from "./row-json.js";

/**
 * One Event Log File being read into events, in this thread or in a parse thread (see
 * parse-pool.ts): the same events, problems and header either way. Batches come in the file's
 * order; the header fields are known once the first batch has come (or the file has ended).
 */
export interface LogFileRead extends AsyncIterable<UnitBatch> {
  /** The CSV header, a repeated name suffixed (see LogFileReader.header). */
  readonly header: readonly string[] | undefined;
  readonly repeatedColumns: readonly string[];
  readonly unreadableHeader: boolean;
}

/** Reads a file's bytes (decompressed) into events of `origin`. */
export type LogFileReading = (chunks: AsyncIterable<Uint8Array | string>, origin: EventOrigin) => LogFileRead;

/** Reads a file in the calling thread: what a one-core host does, and the reference for the other. */
export function readInThisThread(
  chunks: AsyncIterable<Uint8Array | string>,
  origin: EventOrigin,
): LogFileRead {
  const reader = new LogFileReader();
  return {
    get header() {
      return reader.header;
    },
    get repeatedColumns() {
      return reader.repeatedColumns;
    },
    get unreadableHeader() {
      return reader.unreadableHeader;
    },
    async *[Symbol.asyncIterator]() {
      let encode: ReturnType<typeof rowJsonEncoder> | undefined;
      let header: readonly string[] = [];
      for await (const batch of reader.read(chunks)) {
        if (encode === undefined) {
          // Without a header (it could not be read) there are no rows, only problems.
          header = reader.header ?? [];
          encode = rowJsonEncoder(header);
        }
        const { rows, plain } = batch;
        const events: SourceEvent[] = new Array(rows.length);
        for (let i = 0; i < rows.length; i++) {
          const { line, values } = rows[i];
          events[i] = csvEvent(origin, line, { kind: "csv", header, values }, encode(values, plain[i]));
        }
        yield { events, problems: batch.problems };
      }
    },
  };
}

/** `ecs` declared now, so that setting it later keeps every event's shape the same. */
export function csvEvent(origin: EventOrigin, line: number, fields: CsvFields, json: string): SourceEvent {
  return { origin, line, fields, json, ecs: undefined };
}
