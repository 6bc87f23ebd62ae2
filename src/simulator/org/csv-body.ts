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
 * Chunk buffers that come back once written. A declared file streams at hundreds of MiB/s; a fresh
 * 512 KiB buffer per chunk left V8 to free them only when their external memory forced a
 * collection, tens of MB later (simulator-stream's peak RSS, docs/performance.md). The few in
 * flight at a time (one being written, up to two read ahead) are filled again instead. A chunk that
 * is never given back (a gzip body, a spoiled one, a client gone) is left to the collector as before.
 */
export class ChunkBuffers {
  private readonly spare: Buffer[] = [];
  /** The buffer behind each chunk handed out and not yet given back. */
  private readonly lent = new WeakMap<Buffer, Buffer>();

  constructor(readonly bytes: number) {}

  /** A buffer of `bytes` to fill: a spare one, or a new one. */
  take(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafe(this.bytes);
  }

  /** The chunk to hand out: the first `length` bytes of `whole`, a buffer from take(). */
  lend(whole: Buffer, length: number): Buffer {
    const chunk = whole.subarray(0, length);
    this.lent.set(chunk, whole);
    return chunk;
  }

  /** `chunk` has been written out and nothing reads it any more: its buffer may be filled again. */
  giveBack(chunk: Buffer): void {
    const whole = this.lent.get(chunk);
    if (whole === undefined) return;
    this.lent.delete(chunk);
    if (this.spare.length < MAX_SPARE_BUFFERS) this.spare.push(whole);
  }
}

const MAX_SPARE_BUFFERS = 4;

/**
 * A log file's body, generated while it streams: one chunk per read, so a consumer that stops
 * reading stops the generation (backpressure), and memory holds one chunk whatever the file's size.
 * It checks that it produced exactly `expectedBytes` and fails the stream if not, because a wrong
 * LogFileLength would be a simulator bug that a collector test must not mistake for its own.
 * `buffers`, when the chunks come from them, takes each chunk back once the response has written it.
 */
export class LogFileBody extends Readable {
  private produced = 0;

  constructor(
    private readonly chunks: Iterator<Buffer>,
    private readonly expectedBytes: number,
    readonly buffers?: ChunkBuffers,
  ) {
    // One chunk ahead, each read handing out a chunk as it was pushed: a byte stream joins the
    // chunks it holds into a new buffer, a copy that the chunk's buffers would not come back from.
    super({ objectMode: true, highWaterMark: 1 });
  }

  override _read(): void {
    const next = this.chunks.next();
    if (!next.done) {
      this.produced += next.value.length;
      this.push(next.value);
    } else if (this.produced !== this.expectedBytes) {
      this.destroy(
        new Error(`simulator bug: produced ${this.produced} bytes for a file of ${this.expectedBytes}`),
      );
    } else {
      this.push(null);
    }
  }
}
