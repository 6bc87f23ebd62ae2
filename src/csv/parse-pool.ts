import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { CsvFields, EventOrigin, SourceEvent } from "../core/event.js";
import type { UnitBatch } from "../core/source.js";
import { csvEvent, type LogFileRead, type LogFileReading } from "./log-file-read.js";
import type { FromParseThread, ParsedRows, ToParseThread } from "./parse-protocol.js";

/** Bytes gathered before a chunk goes to a parse thread: about a thousand rows a message. */
export const CHUNK_BYTES = 64 * 1024;
/**
 * Chunks of one file sent to its thread and not yet taken by its reader. When the outputs lag, the
 * reader takes none, so the file's download waits here: what one file holds across the thread
 * boundary is at most this many chunks and their rows.
 */
export const CHUNKS_IN_FLIGHT = 4;
/** More threads than files read at once would idle; the default stays below that. */
const MAX_DEFAULT_THREADS = 2;

/**
 * Parse threads for a host's cores: one fewer than the cores this process may use, so the main
 * thread keeps one; none on a one-core host, where a thread would only compete with the main one.
 */
export function defaultParseThreads(cores = availableParallelism()): number {
  return Math.max(0, Math.min(MAX_DEFAULT_THREADS, cores - 1));
}

/**
 * Threads that parse Event Log Files and encode their rows' raw JSON (parse-thread.ts), handed out
 * in turn to the files being read. The main thread keeps the download, the events' order, the
 * dead letters and everything after: a file read here yields exactly what readInThisThread yields.
 */
export class ParsePool {
  private readonly threads: (ParseThread | undefined)[];
  private next = 0;
  private nextId = 0;

  constructor(
    size: number,
    private readonly script: URL = new URL("./parse-thread.js", import.meta.url),
  ) {
    if (size < 1) throw new Error("a parse pool has at least one thread");
    this.threads = new Array(size).fill(undefined);
  }

  readonly read: LogFileReading = (chunks, origin) => {
    const i = this.next;
    this.next = (i + 1) % this.threads.length;
    let thread = this.threads[i];
    // A thread that died is replaced for the files read after it.
    if (thread === undefined || thread.dead) {
      thread = new ParseThread(this.script);
      this.threads[i] = thread;
    }
    return new ThreadRead(thread, this.nextId++, chunks, origin);
  };

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread?.terminate()));
    this.threads.fill(undefined);
  }
}

/** One worker thread and the files it is reading; it keeps the process alive only while it has some. */
class ParseThread {
  dead = false;
  private readonly worker: Worker;
  private readonly reads = new Map<number, ThreadRead>();

  constructor(script: URL) {
    this.worker = new Worker(script);
    this.worker.unref();
    this.worker.on("message", (message: FromParseThread) => this.reads.get(message.id)?.receive(message));
    this.worker.on("error", (err) => this.die(err));
    this.worker.on("exit", (code) => {
      if (!this.dead) this.die(new Error(`the CSV parse thread stopped (exit code ${code})`));
    });
  }

  open(read: ThreadRead): void {
    if (this.reads.size === 0) this.worker.ref();
    this.reads.set(read.id, read);
  }

  close(read: ThreadRead): void {
    if (!this.reads.delete(read.id)) return;
    if (this.reads.size === 0) this.worker.unref();
  }

  post(message: ToParseThread, transfer?: ArrayBuffer[]): void {
    this.worker.postMessage(message, transfer);
  }

  async terminate(): Promise<void> {
    this.dead = true;
    await this.worker.terminate();
  }

  private die(err: Error): void {
    this.dead = true;
    for (const read of this.reads.values()) read.threadFailed(err);
    this.reads.clear();
  }
}

/** A file read in a parse thread: its chunks go there in order, its rows come back in order. */
class ThreadRead implements LogFileRead {
  header: readonly string[] | undefined;
  repeatedColumns: readonly string[] = [];
  unreadableHeader = false;
  private readonly replies: FromParseThread[] = [];
  private sent = 0;
  private answered = 0;
  private taken = 0;
  private stopped = false;
  /** The download failed: thrown once the chunks sent before it are answered. */
  private downloadFailure: { error: unknown } | undefined;
  /** The thread died: nothing more will be answered. */
  private threadFailure: { error: unknown } | undefined;
  private wakeReader: (() => void) | undefined;
  private wakeSender: (() => void) | undefined;

  constructor(
    private readonly thread: ParseThread,
    readonly id: number,
    private readonly chunks: AsyncIterable<Uint8Array | string>,
    private readonly origin: EventOrigin,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<UnitBatch> {
    this.thread.open(this);
    let ended = false;
    void this.send();
    try {
      while (!ended) {
        const reply = await this.nextReply();
        this.taken++;
        this.wake("sender");
        if (reply.kind === "error") throw reply.error;
        ended = reply.last;
        if (reply.header !== undefined) {
          this.header = reply.header;
          this.repeatedColumns = reply.repeatedColumns ?? [];
        }
        this.unreadableHeader = reply.unreadableHeader;
        if (reply.lines.length > 0 || reply.problems.length > 0)
          yield { events: this.events(reply), problems: reply.problems };
      }
    } finally {
      this.stopped = true;
      this.wake("sender");
      if (!ended && this.threadFailure === undefined) this.thread.post({ kind: "drop", id: this.id });
      this.thread.close(this);
    }
  }

  receive(message: FromParseThread): void {
    this.answered++;
    this.replies.push(message);
    this.wake("reader");
  }

  threadFailed(error: Error): void {
    this.threadFailure = { error };
    this.wake("reader");
  }

  private async nextReply(): Promise<FromParseThread> {
    for (;;) {
      const reply = this.replies.shift();
      if (reply !== undefined) return reply;
      if (this.threadFailure !== undefined) throw this.threadFailure.error;
      if (this.downloadFailure !== undefined && this.answered === this.sent) throw this.downloadFailure.error;
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
    }
  }

  private wake(which: "reader" | "sender"): void {
    const wake = which === "reader" ? this.wakeReader : this.wakeSender;
    if (which === "reader") this.wakeReader = undefined;
    else this.wakeSender = undefined;
    wake?.();
  }

  /** Sends the file's chunks, gathered to CHUNK_BYTES, never more than CHUNKS_IN_FLIGHT ahead of the reader. */
  private async send(): Promise<void> {
    let gathered: Uint8Array[] = [];
    let bytes = 0;
    try {
      for await (const chunk of this.chunks) {
        if (typeof chunk === "string") {
          if (bytes > 0) await this.post(joined(gathered, bytes));
          gathered = [];
          bytes = 0;
          await this.post(chunk);
        } else {
          gathered.push(chunk);
          bytes += chunk.length;
          if (bytes >= CHUNK_BYTES) {
            await this.post(joined(gathered, bytes));
            gathered = [];
            bytes = 0;
          }
        }
        if (this.stopped) return;
      }
      if (bytes > 0) await this.post(joined(gathered, bytes));
      if (this.stopped) return;
      this.sent++;
      this.thread.post({ kind: "end", id: this.id });
    } catch (error) {
      this.downloadFailure = { error };
      this.wake("reader");
    }
  }

  private async post(chunk: Uint8Array | string): Promise<void> {
    while (this.sent - this.taken >= CHUNKS_IN_FLIGHT && !this.stopped) {
      await new Promise<void>((resolve) => {
        this.wakeSender = resolve;
      });
    }
    if (this.stopped) return;
    this.sent++;
    if (typeof chunk === "string") this.thread.post({ kind: "chunk", id: this.id, chunk });
    else this.thread.post({ kind: "chunk", id: this.id, chunk }, [chunk.buffer as ArrayBuffer]);
  }

  private events(reply: ParsedRows): SourceEvent[] {
    const { lines, jsons } = reply;
    const header = this.header ?? [];
    const n = lines.length;
    const events: SourceEvent[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const json = jsons[i];
      events[i] = csvEvent(this.origin, lines[i], new RowJsonFields(header, json), json);
    }
    return events;
  }
}

/** The chunks as one buffer of its own, which can be handed to the thread without a copy. */
function joined(chunks: readonly Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * A row's values read back from its raw JSON when first asked for (the ECS normalizer asks; an
 * output sending the raw JSON never does), so a parse thread sends each row once. JSON text reads
 * back to exactly the strings it was written from, lone surrogates included.
 */
class RowJsonFields implements CsvFields {
  readonly kind = "csv";
  private parsed: readonly string[] | undefined;

  constructor(
    readonly header: readonly string[],
    private readonly json: string,
  ) {}

  get values(): readonly string[] {
    if (this.parsed === undefined) {
      const row = JSON.parse(this.json) as Record<string, string>;
      this.parsed = this.header.map((name) => row[name]);
    }
    return this.parsed;
  }
}
