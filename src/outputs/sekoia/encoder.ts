/**
 * The body of `POST /batch`: `{"intake_key":KEY,"jsons":["<event>",...]}`. Each event is the
 * event's JSON text as a JSON string, written as UTF-8 straight into a buffer of the batch limit, so
 * the size is exact, escapes included, and sending needs no copy: a batch is closed before an event
 * would take it over the limit. Where each event starts is kept, so that a batch the intake
 * refuses can be split without encoding its events again.
 */
export class BatchBody {
  private buffer: Buffer;
  private size: number;
  private count = 0;
  private readonly starts: number[] = [];

  /**
   * @param head the body's start for the intake key (see `BatchBody.head`)
   * @param buffer where the body is written; its length is the batch limit in bytes
   */
  constructor(head: Buffer, buffer: Buffer) {
    if (buffer.length < head.length + TAIL.length)
      throw new RangeError("a batch body's buffer must hold at least its head and its end");
    this.buffer = buffer;
    this.size = head.copy(buffer);
  }

  /** The body's start for an intake key, shared by every batch. */
  static head(intakeKey: string): Buffer {
    return Buffer.from(`{"intake_key":${JSON.stringify(intakeKey)},"jsons":[`);
  }

  get events(): number {
    return this.count;
  }

  /** Bytes of the body once closed. */
  get bytes(): number {
    return this.size + TAIL.length;
  }

  /** The buffer the body is written in, to be reused once the batch is sent. */
  get memory(): Buffer {
    return this.buffer;
  }

  /** Adds an event unless it would take a non-empty batch over the limit; a lone event always fits. */
  tryAdd(eventJson: string): boolean {
    const item = JSON.stringify(eventJson);
    const comma = this.count > 0 ? 1 : 0;
    const room = this.buffer.length - TAIL.length - this.size - comma;
    // A UTF-16 unit is at most 3 bytes of UTF-8: while that surely fits, no separate measuring pass.
    if (item.length * 3 > room) {
      const needed = Buffer.byteLength(item);
      if (needed > room) {
        if (this.count > 0) return false;
        this.grow(needed - room);
      }
    }
    if (comma) this.buffer[this.size++] = COMMA;
    this.starts.push(this.size);
    this.size += this.buffer.write(item, this.size);
    this.count++;
    return true;
  }

  /** The finished body: a view of the buffer, valid until the buffer is reused. */
  close(): Buffer {
    this.buffer.write(TAIL, this.size, "latin1");
    return this.buffer.subarray(0, this.bytes);
  }

  /** The finished body with where each event lies in it; a view of the buffer, like close(). */
  seal(): EncodedBatch {
    // As if a comma followed the last event: every event then ends one byte before the next start.
    return new EncodedBatch(this.close(), [...this.starts, this.size + 1]);
  }

  /** An event larger than the whole limit goes alone, in a buffer of its own size. */
  private grow(by: number): void {
    const larger = Buffer.allocUnsafe(this.buffer.length + by);
    this.buffer.copy(larger, 0, 0, this.size);
    this.buffer = larger;
  }
}

/** A closed batch body and the offsets of its events, from which smaller bodies are cut. */
export class EncodedBatch {
  /**
   * @param body the whole body, head and end included
   * @param bounds where each event's JSON string starts in `body`, then one past the last one's end
   */
  constructor(
    readonly body: Buffer,
    private readonly bounds: readonly number[],
  ) {}

  get events(): number {
    return this.bounds.length - 1;
  }

  /** Events [from, to) as a body of their own, with the same head: a copy, so valid on its own. */
  slice(from: number, to: number): EncodedBatch {
    const head = this.body.subarray(0, this.bounds[0]);
    const start = this.bounds[from];
    const items = this.body.subarray(start, this.bounds[to] - 1);
    const body = Buffer.concat([head, items, TAIL_BYTES]);
    return new EncodedBatch(
      body,
      this.bounds.slice(from, to + 1).map((bound) => bound - start + head.length),
    );
  }

  /** The JSON text of event `index`, as it was added. */
  event(index: number): string {
    return JSON.parse(this.body.toString("utf8", this.bounds[index], this.bounds[index + 1] - 1)) as string;
  }
}

/**
 * The memory of batch bodies, reused: a few buffers of the batch limit for the life of the output
 * rather than megabytes of garbage per batch, so the output's footprint is (batches in flight + 2)
 * buffers whatever the volume.
 */
export class BodyBuffers {
  private readonly spare: Buffer[] = [];

  constructor(
    private readonly bytes: number,
    private readonly keep: number,
  ) {}

  take(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafe(this.bytes);
  }

  /** Hands a buffer back once nothing reads it any more (a grown one is left to the GC). */
  giveBack(buffer: Buffer): void {
    if (buffer.length === this.bytes && this.spare.length < this.keep) this.spare.push(buffer);
  }
}

const TAIL = "]}";
const TAIL_BYTES = Buffer.from(TAIL, "latin1");
const COMMA = 0x2c;
