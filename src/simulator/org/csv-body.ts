import { Readable } from "node:stream";

/**
 * Event Log File CSV as Salesforce writes it: every value in double quotes (empty ones too), quotes
 * inside values doubled, line breaks inside values kept as they are. Rows end with LF: the line
 * ending of real files is not documented (collectors accept both), so the simulator picks LF.
 */

export function csvLine(values: readonly string[]): string {
  // Most rows hold no quote at all: then a native join does all the work.
  for (let i = 0; i < values.length; i++) {
    if (values[i].includes('"')) return `"${values.map(csvEscape).join('","')}"\n`;
  }
  return `"${values.join('","')}"\n`;
}

/** A value as it sits between its quotes: inner quotes doubled. */
export function csvEscape(value: string): string {
  return value.includes('"') ? value.replaceAll('"', '""') : value;
}

/** Big chunks keep the per-chunk cost (Buffer conversion, stream bookkeeping) out of the way. */
export const CHUNK_BYTES = 512 * 1024;

/** Lines gathered into chunks of about CHUNK_BYTES. */
export function* chunkLines(lines: Iterable<string>): Generator<Buffer> {
  let text = "";
  for (const line of lines) {
    text += line;
    if (text.length >= CHUNK_BYTES) {
      yield Buffer.from(text);
      text = "";
    }
  }
  if (text.length > 0) yield Buffer.from(text);
}

/**
 * A log file's body, generated while it streams: one chunk per read, so a consumer that stops
 * reading stops the generation (backpressure), and memory holds one chunk whatever the file's size.
 * It checks that it produced exactly `expectedBytes` and fails the stream if not, because a wrong
 * LogFileLength would be a simulator bug that a collector test must not mistake for its own.
 */
export function logFileBody(chunks: Iterator<Buffer>, expectedBytes: number): Readable {
  let produced = 0;
  return new Readable({
    highWaterMark: CHUNK_BYTES,
    read() {
      const next = chunks.next();
      if (!next.done) {
        produced += next.value.length;
        this.push(next.value);
      } else {
        if (produced !== expectedBytes) {
          this.destroy(new Error(`simulator bug: produced ${produced} bytes for a file of ${expectedBytes}`));
          return;
        }
        this.push(null);
      }
    },
  });
}
