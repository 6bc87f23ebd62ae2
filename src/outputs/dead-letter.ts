import { once } from "node:events";
import { createWriteStream, mkdirSync, openSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import { osReason } from "./file/destination.js";
import type { DeadLetter, DeadLetterSink } from "../core/dead-letters.js";
import { OutputError } from "../core/output.js";

/**
 * The dead-letter file: NDJSON, one record per rejected row, appended, so nothing read is ever
 * silently dropped. Opened on the first record; a run without bad rows leaves no file behind.
 */
export class DeadLetters implements DeadLetterSink {
  private stream: WriteStream | undefined;
  private failure: OutputError | undefined;
  private written = 0;

  constructor(readonly path: string) {}

  get count(): number {
    return this.written;
  }

  async write(letter: DeadLetter): Promise<void> {
    if (this.failure) throw this.failure;
    this.stream ??= this.open();
    this.written++;
    const line = `${JSON.stringify({ time: new Date().toISOString(), ...letter })}\n`;
    if (!this.stream.write(line)) await once(this.stream, "drain");
  }

  /**
   * Opened synchronously, so that a path that cannot be written is an error with the key to fix
   * rather than an 'error' event nobody listens to. Fatal: rows that cannot be delivered as they are
   * must be kept somewhere, or they would be lost.
   */
  private open(): WriteStream {
    let fd: number;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      fd = openSync(this.path, "a");
    } catch (err) {
      throw this.fail(err);
    }
    const stream = createWriteStream("", { fd });
    stream.on("error", (err) => this.fail(err));
    return stream;
  }

  private fail(err: unknown): OutputError {
    this.failure ??= new OutputError(
      `The dead-letter file ${this.path} cannot be written: ${osReason(err)}. Check dead_letters.path and that this user may write there.`,
      true,
    );
    return this.failure;
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
