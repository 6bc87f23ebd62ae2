import { once } from "node:events";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";

/** A row or event that could not be delivered as it is, kept with everything needed to find it again. */
export interface DeadLetter {
  reason: string;
  /** The EventLogFile Id, or the path of a replayed file. */
  fileId: string;
  eventType?: string;
  /** 1-based line in the file where the row starts. */
  line?: number;
  /** The row or event as it was read (raw text, fields, or the event's JSON). */
  payload: string;
}

/**
 * The dead-letter file: NDJSON, one record per rejected row, appended, so nothing read is ever
 * silently dropped. Opened on the first record; a run without bad rows leaves no file behind.
 */
export class DeadLetters {
  private stream: WriteStream | undefined;
  private written = 0;

  constructor(readonly path: string) {}

  get count(): number {
    return this.written;
  }

  async write(letter: DeadLetter): Promise<void> {
    if (this.stream === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.stream = createWriteStream(this.path, { flags: "a" });
    }
    this.written++;
    const line = `${JSON.stringify({ time: new Date().toISOString(), ...letter })}\n`;
    if (!this.stream.write(line)) await once(this.stream, "drain");
  }

  async close(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (stream === undefined) return;
    await new Promise<void>((resolve, reject) =>
      stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
  }
}
