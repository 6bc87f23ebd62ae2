import { Worker } from "node:worker_threads";
import type { DecodedRows } from "./decode.js";

/**
 * Worker threads that decode Event Log Files (CSV parsing, each row's JSON, its fingerprint: about
 * 40% of the collector's work per row), so that the main thread keeps the downloads, the state and
 * the outputs. A file's bytes are downloaded on the main thread and handed over as they come,
 * copied into chunks of CHUNK_BYTES that are moved, not copied again; at most CHUNKS_AHEAD of them
 * are unanswered at a time, so a slow output still slows the download and memory stays bounded.
 *
 * Nothing about delivery changes: a thread only turns bytes into rows, and a file is committed by
 * the main thread once every output acknowledged it, as without threads. A thread that dies fails
 * the files it was decoding, which are read again; a collector killed meanwhile loses nothing that
 * was not already going to be read again.
 */

const WORKER = new URL("./decode-worker.js", import.meta.url);

/**
 * A file smaller than this (its LogFileLength) is decoded on the main thread: handing a file over
 * costs messages and wake-ups that a few kilobytes of rows do not repay. A month of 5 KB hourly
 * files took the collector 18.9 s of CPU with a thread against 15.2 s without, and the thread's
 * isolate 25 MB more (docs/performance.md).
 */
export const SMALLEST_THREADED_FILE = 1024 * 1024;
/** The decompressed bytes of a file are handed over in chunks of this size (the last one shorter). */
const CHUNK_BYTES = 64 * 1024;
/** Chunks of one file sent and not yet answered: one being decoded, one waiting. */
const CHUNKS_AHEAD = 2;
/**
 * A thread's young generation, in MiB: V8's default costs each thread tens of MB more resident
 * memory for a few percent of speed (docs/performance.md, "A second core").
 */
const YOUNG_GENERATION_MB = 8;

export type ToThread =
  | { type: "start"; job: number; fingerprints: boolean }
  | { type: "chunk"; job: number; bytes: Uint8Array }
  | { type: "end"; job: number }
  | { type: "cancel"; job: number };

/** A chunk's (or the end's) answer: its rows, without the header once the file's first rows carried it. */
export type FromThread = {
  type: "rows";
  job: number;
  rows?: Omit<DecodedRows, "header" | "values"> & { header?: readonly string[] };
};

type Answer = NonNullable<FromThread["rows"]> | undefined;

export class DecodeThreads {
  private readonly threads: (Thread | undefined)[];
  private nextJob = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError("DecodeThreads needs at least one thread");
    this.threads = new Array(size).fill(undefined);
  }

  /** Decodes one file's decompressed bytes on the least busy thread, started on first use. */
  async *decode(body: AsyncIterable<Uint8Array>, fingerprints: boolean): AsyncGenerator<DecodedRows> {
    const job = this.thread().start(this.nextJob++, fingerprints);
    const chunks = ownChunks(body)[Symbol.asyncIterator]();
    let header: readonly string[] | undefined;
    let unanswered = 0;
    let ended = false;
    try {
      for (;;) {
        while (!ended && unanswered < CHUNKS_AHEAD) {
          const next = await chunks.next();
          if (next.done) {
            ended = true;
            job.end();
          } else job.chunk(next.value);
          unanswered++;
        }
        if (unanswered === 0) return;
        const rows = await job.answer();
        unanswered--;
        if (rows === undefined) continue;
        header ??= rows.header ?? [];
        yield { ...rows, header };
      }
    } finally {
      job.close(ended && unanswered === 0);
      if (!ended) await chunks.return?.(undefined);
    }
  }

  async close(): Promise<void> {
    const running = this.threads.filter((thread) => thread !== undefined);
    this.threads.fill(undefined);
    await Promise.all(running.map((thread) => thread.stop()));
  }

  private thread(): Thread {
    let chosen: Thread | undefined;
    for (let i = 0; i < this.threads.length; i++) {
      let thread = this.threads[i];
      if (thread === undefined || thread.failed) {
        thread = new Thread();
        this.threads[i] = thread;
      }
      if (chosen === undefined || thread.jobs < chosen.jobs) chosen = thread;
    }
    return chosen as Thread; // the pool has at least one thread
  }
}

/** One worker thread and the files it is decoding. */
class Thread {
  private readonly worker: Worker;
  private readonly running = new Map<number, Job>();
  failed = false;

  constructor() {
    this.worker = new Worker(WORKER, {
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    // An idle thread does not keep the process alive; one with work does, until it answers.
    this.worker.unref();
    this.worker.on("message", (message: FromThread) => this.running.get(message.job)?.answered(message.rows));
    this.worker.on("error", (err) => this.fail(err));
    this.worker.on("exit", (code) => this.fail(new Error(`it exited with code ${code}`)));
  }

  get jobs(): number {
    return this.running.size;
  }

  start(id: number, fingerprints: boolean): Job {
    if (this.running.size === 0) this.worker.ref();
    const job = new Job(
      (message, transfer) => this.worker.postMessage(message, transfer),
      id,
      () => {
        this.running.delete(id);
        if (this.running.size === 0) this.worker.unref();
      },
    );
    this.running.set(id, job);
    this.worker.postMessage({ type: "start", job: id, fingerprints } satisfies ToThread);
    return job;
  }

  async stop(): Promise<void> {
    this.failed = true;
    await this.worker.terminate();
  }

  private fail(cause: Error): void {
    if (this.failed && this.running.size === 0) return;
    this.failed = true;
    const err = new Error(`the thread decoding Event Log Files stopped: ${cause.message}`, { cause });
    for (const job of this.running.values()) job.failed(err);
    this.running.clear();
    this.worker.unref();
  }
}

/** One file on a thread: its chunks sent, its answers waited for in order. */
class Job {
  private readonly answers: Answer[] = [];
  private waiting: { resolve(answer: Answer): void; reject(err: Error): void } | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly send: (message: ToThread, transfer?: ArrayBuffer[]) => void,
    private readonly id: number,
    private readonly release: () => void,
  ) {}

  chunk(bytes: Uint8Array): void {
    this.send({ type: "chunk", job: this.id, bytes }, [bytes.buffer as ArrayBuffer]);
  }

  end(): void {
    this.send({ type: "end", job: this.id });
  }

  /** The next chunk's answer, in the order the chunks were sent. */
  answer(): Promise<Answer> {
    if (this.answers.length > 0) return Promise.resolve(this.answers.shift());
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  answered(rows: Answer): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting.resolve(rows);
    else this.answers.push(rows);
  }

  failed(err: Error): void {
    this.failure = err;
    this.waiting?.reject(err);
    this.waiting = undefined;
  }

  /** Done with the file: a file left half-way is dropped by its thread. */
  close(finished: boolean): void {
    if (!finished && this.failure === undefined) this.send({ type: "cancel", job: this.id });
    this.release();
  }
}

/**
 * The body's bytes in chunks of CHUNK_BYTES, each in memory of its own: what the decompressor hands
 * out may be views of buffers it reuses, which must not be moved to another thread.
 */
async function* ownChunks(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let chunk = new Uint8Array(CHUNK_BYTES);
  let used = 0;
  for await (const bytes of body) {
    for (let offset = 0; offset < bytes.length; ) {
      const n = Math.min(CHUNK_BYTES - used, bytes.length - offset);
      chunk.set(bytes.subarray(offset, offset + n), used);
      used += n;
      offset += n;
      if (used === CHUNK_BYTES) {
        yield chunk;
        chunk = new Uint8Array(CHUNK_BYTES);
        used = 0;
      }
    }
  }
  if (used > 0) yield chunk.subarray(0, used);
}
