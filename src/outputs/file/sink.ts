import type { SourceEvent } from "../../core/event.js";
import { type Output, OutputError } from "../../core/output.js";
import { DEFAULT_CHUNK_CHARS, type FileOutputOptions, STDOUT_PATH } from "./config.js";
import { type Destination, openFileDestination, stdoutDestination } from "./destination.js";

export interface FileOutputCounters {
  events: number;
  /** UTF-16 characters handed to the destination, newlines included: a close proxy for bytes. */
  chars: number;
}

const rawEvent = (event: SourceEvent): string => event.json;

/**
 * NDJSON, one event per line. Lines are gathered into chunks of about `chunkChars` and written one
 * chunk at a time; while a chunk is being written and the next one is full, write() returns a
 * promise, so memory stays at about two chunks whatever the pace of the disk.
 */
export class FileOutput implements Output {
  readonly name = "file";
  readonly counters: FileOutputCounters = { events: 0, chars: 0 };
  private readonly encode: (event: SourceEvent) => string;
  private readonly chunkChars: number;
  private lines: string[] = [];
  private pendingChars = 0;
  /** The chunk being written, if any; writes are strictly one after the other, so lines stay in order. */
  private writing: Promise<void> | undefined;
  /** A failed write, reported by every write() and by the next flush(), which then starts afresh. */
  private failure: OutputError | undefined;

  private constructor(
    private readonly destination: Destination,
    options: FileOutputOptions,
  ) {
    this.encode = options.encode ?? rawEvent;
    this.chunkChars = options.chunkChars ?? DEFAULT_CHUNK_CHARS;
  }

  /** Opens the destination now, so that a path that cannot be written stops the run at start. */
  static async open(options: FileOutputOptions): Promise<FileOutput> {
    const destination =
      options.path === STDOUT_PATH
        ? stdoutDestination(options.stdout)
        : await openFileDestination(options.path, options.logger);
    return new FileOutput(destination, options);
  }

  write(event: SourceEvent): void | Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const line = `${this.encode(event)}\n`;
    this.lines.push(line);
    this.pendingChars += line.length;
    this.counters.events++;
    if (this.pendingChars < this.chunkChars) return;
    return this.writeChunk();
  }

  async flush(): Promise<void> {
    await this.writeChunk().catch(() => {});
    const failure = this.failure;
    if (failure) {
      // What was gathered after the failure belongs to files that will be delivered again.
      this.failure = undefined;
      this.lines = [];
      this.pendingChars = 0;
      throw failure;
    }
    await this.destination.sync();
  }

  async close(): Promise<void> {
    // A failed write was reported to write() or flush(); closing only releases the file.
    await this.writing?.catch(() => {});
    await this.destination.close();
  }

  /** Waits for the chunk under way, then writes what has gathered since. */
  private async writeChunk(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.failure) throw this.failure;
    if (this.lines.length === 0) return;
    const text = this.lines.join("");
    this.lines = [];
    this.pendingChars = 0;
    this.writing = this.destination
      .write(text)
      .then(
        () => {
          this.counters.chars += text.length;
        },
        (err: unknown) => {
          this.failure ??= err instanceof OutputError ? err : new OutputError(String(err), false);
          throw this.failure;
        },
      )
      .finally(() => {
        this.writing = undefined;
      });
    await this.writing;
  }
}
