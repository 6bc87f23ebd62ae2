/**
 * The body of `POST /batch`: `{"intake_key":KEY,"jsons":["<event>",...]}`. Each event is the
 * event's JSON text as a JSON string, so the body size is counted exactly, escapes included, as
 * events are added: a batch is closed before an event would take it over the limit.
 */
export class BatchBody {
  private readonly items: string[] = [];
  private size: number;

  constructor(
    private readonly head: string,
    private readonly maxBytes: number,
  ) {
    this.size = Buffer.byteLength(head) + TAIL.length;
  }

  /** The body's start for an intake key, shared by every batch. */
  static head(intakeKey: string): string {
    return `{"intake_key":${JSON.stringify(intakeKey)},"jsons":[`;
  }

  get events(): number {
    return this.items.length;
  }

  /** Bytes of the body as it stands. */
  get bytes(): number {
    return this.size;
  }

  /** Adds an event unless it would take a non-empty batch over the limit; a lone event always fits. */
  tryAdd(eventJson: string): boolean {
    const item = JSON.stringify(eventJson);
    const added = Buffer.byteLength(item) + (this.items.length > 0 ? 1 : 0);
    if (this.items.length > 0 && this.size + added > this.maxBytes) return false;
    this.items.push(item);
    this.size += added;
    return true;
  }

  toString(): string {
    return `${this.head}${this.items.join(",")}${TAIL}`;
  }
}

const TAIL = "]}";
