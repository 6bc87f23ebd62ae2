/**
 * How a destination lays out a request body of many events: a head (which may carry a key), the
 * events one after the other with a separator between them, and an end. Sekoia.io's is
 * `{"intake_key":KEY,"jsons":[` + `"<event>"` joined by `,` + `]}`.
 */
export interface BodyFormat {
  readonly head: Buffer;
  readonly separator: Buffer;
  readonly tail: Buffer;
  /** The text an event is written as in the body (its JSON as a JSON string, or as it is). */
  item(eventJson: string): string;
  /** An event's JSON read back from its item, to keep it in a dead letter. */
  event(item: string): string;
}

/**
 * A body being filled, written as UTF-8 straight into a buffer of the batch limit, so the size is
 * exact, escapes included, and sending needs no copy: a batch is closed before an event would take
 * it over the limit. Where each event starts is kept, so that a batch the destination refuses can
 * be split without encoding its events again.
 */
export class BatchBody {
  private buffer: Buffer;
  private size: number;
  private count = 0;
  private readonly starts: number[] = [];
  private readonly separator: Buffer;
  private readonly tail: Buffer;

  /** @param buffer where the body is written; its length is the batch limit in bytes */
  constructor(
    private readonly format: BodyFormat,
    buffer: Buffer,
  ) {
    this.separator = format.separator;
    this.tail = format.tail;
    if (buffer.length < format.head.length + format.tail.length)
      throw new RangeError("a batch body's buffer must hold at least its head and its end");
    this.buffer = buffer;
    this.size = format.head.copy(buffer);
  }

  get events(): number {
    return this.count;
  }

  /** Bytes of the body once closed. */
  get bytes(): number {
    return this.size + this.tail.length;
  }

  /** The buffer the body is written in, to be reused once the batch is sent. */
  get memory(): Buffer {
    return this.buffer;
  }

  /** Adds an event unless it would take a non-empty batch over the limit; a lone event always fits. */
  tryAdd(eventJson: string): boolean {
    const item = this.format.item(eventJson);
    const separator = this.count > 0 ? this.separator.length : 0;
    const room = this.buffer.length - this.tail.length - this.size - separator;
    // A UTF-16 unit is at most 3 bytes of UTF-8: while that surely fits, no separate measuring pass.
    if (item.length * 3 > room) {
      const needed = Buffer.byteLength(item);
      if (needed > room) {
        if (this.count > 0) return false;
        this.grow(needed - room);
      }
    }
    if (separator === 1) this.buffer[this.size++] = this.separator[0];
    else if (separator > 0) this.size += this.separator.copy(this.buffer, this.size);
    this.starts.push(this.size);
    this.size += this.buffer.write(item, this.size);
    this.count++;
    return true;
  }

  /** The finished body: a view of the buffer, valid until the buffer is reused. */
  close(): Buffer {
    this.tail.copy(this.buffer, this.size);
    return this.buffer.subarray(0, this.bytes);
  }

  /** The finished body with where each event lies in it; a view of the buffer, like close(). */
  seal(): EncodedBatch {
    // As if a separator followed the last event: every event then ends a separator before the next start.
    return new EncodedBatch(this.format, this.close(), [...this.starts, this.size + this.separator.length]);
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
   * @param bounds where each event's item starts in `body`, then one separator past the last one's end
   */
  constructor(
    private readonly format: BodyFormat,
    readonly body: Buffer,
    private readonly bounds: readonly number[],
  ) {}

  get events(): number {
    return this.bounds.length - 1;
  }

  /** Events [from, to) as a body of their own, with the same head: a copy, so valid on its own. */
  slice(from: number, to: number): EncodedBatch {
    const { head, separator, tail } = this.format;
    const start = this.bounds[from];
    const items = from === to ? EMPTY : this.body.subarray(start, this.bounds[to] - separator.length);
    const body = Buffer.concat([head, items, tail]);
    return new EncodedBatch(
      this.format,
      body,
      this.bounds.slice(from, to + 1).map((bound) => bound - start + head.length),
    );
  }

  /** The JSON text of event `index`, as it was added. */
  event(index: number): string {
    const end = this.bounds[index + 1] - this.format.separator.length;
    return this.format.event(this.body.toString("utf8", this.bounds[index], end));
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

const EMPTY = Buffer.alloc(0);
