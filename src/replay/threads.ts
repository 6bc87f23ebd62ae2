import { type FileHandle, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { GeoIpError } from "../normalize/geoip.js";
import { osReason, type Destination } from "../outputs/file/destination.js";
import type { LineOptions } from "./output.js";
import { type FromThread, SLOT_BYTES, SLOTS, type ToThread } from "./protocol.js";
import type { ReplayRun } from "./run.js";

/** A file to replay, named as the progress line and the dead letters name it. */
export interface ReplayFile {
  path: string;
  name: string;
  eventType: string | undefined;
}

/** A file given to a thread, and what the thread said of it that is not written yet. */
interface Job extends ReplayFile {
  /** Its place among the files, which names its set-aside file. */
  index: number;
  /** What the thread said of the file and is not handled yet, in order; lines read ahead excepted. */
  messages: FromThread[];
  thread?: Thread;
  /** Lines the thread sent while an earlier file was being written, set aside on disk. */
  spill?: Spill;
}

const WORKER = new URL("./worker.js", import.meta.url);

/**
 * A thread's young generation, in MiB. V8's default (16 MiB semi-spaces) costs each thread about
 * 60 MB more resident memory, for a few percent of speed (docs/performance.md).
 */
const YOUNG_GENERATION_MB = 8;

/** Files given out at once, the one being written among them, per thread: bounds what is set aside on disk. */
const FILES_GIVEN_OUT_PER_THREAD = 2;

/** Read size when a set-aside file's lines are written out. */
const SPILL_READ_BYTES = 1024 * 1024;

/**
 * Replays files on `threads` worker threads, each reading whole files, while the main thread writes
 * their lines in the order of the files: standard output gets the same bytes as on one thread. The
 * lines of a file read ahead of the one being written go to a temporary file, written out when its
 * turn comes, so memory stays bounded by each thread's slots (protocol.ts) whatever the files'
 * sizes; its dead letters wait, unacknowledged, so that a thread reading a file of bad rows ahead
 * stops at its window of them. The dead-letter file, too, is in the order of the files. A thread that fails ends the
 * replay with its error. `out` must be done with the bytes it is given once their write resolves
 * (a file descriptor's stream is): they are the thread's slot, filled again after.
 */
export async function replayInThreads(
  files: readonly ReplayFile[],
  threads: number,
  lines: LineOptions,
  run: ReplayRun,
  out: Destination,
): Promise<void> {
  const jobs: Job[] = files.map((file, index) => ({ ...file, index, messages: [] }));
  const spills = new SpillDirectory();
  /** The file whose lines are being written. */
  let head = 0;
  let next = 0;
  const idle: Thread[] = [];
  /** The file each thread is reading. */
  const reading = new Map<Thread, Job>();
  let failure: Error | undefined;
  let ended = false;
  let heard: (() => void) | undefined;
  const hear = () => {
    const waiting = heard;
    heard = undefined;
    waiting?.();
  };
  const fail = (err: Error) => {
    failure ??= err;
    hear();
  };
  const give = (thread: Thread) => {
    const job = jobs[next];
    reading.delete(thread);
    if (job === undefined) return;
    if (next >= head + threads * FILES_GIVEN_OUT_PER_THREAD) {
      idle.push(thread);
      return;
    }
    next++;
    job.thread = thread;
    reading.set(thread, job);
    thread.tell({ type: "file", path: job.path, name: job.name, eventType: job.eventType });
  };

  /** What a thread says of a file read ahead: its lines go to disk; the rest waits for the file's turn. */
  const setAside = (job: Job, thread: Thread, message: FromThread) => {
    if (message.type === "lines") {
      job.spill ??= spills.open(job.index);
      job.spill.append(thread.bytes(message)).then(() => thread.written(message), fail);
    } else if (message.type !== "progress") job.messages.push(message);
    // Progress of a file not yet being written has no line to show on.
  };

  const workers = Array.from({ length: Math.min(threads, jobs.length) }, () => {
    const thread = new Thread(lines);
    give(thread);
    thread.worker.on("message", (message: FromThread) => {
      if (message.type === "unready") {
        fail(message.geoip ? new GeoIpError(message.message) : new Error(message.message));
        return;
      }
      // A thread speaks only of the file it was given.
      const job = reading.get(thread) as Job;
      if (job === jobs[head]) {
        job.messages.push(message);
        hear();
      } else setAside(job, thread, message);
      if (message.type === "done" || message.type === "failed") give(thread);
    });
    thread.worker.on("error", (err) =>
      fail(new Error(`a replay thread failed: ${err.stack ?? err.message}`)),
    );
    thread.worker.on("exit", (code) => {
      if (!ended) fail(new Error(`a replay thread ended early (exit code ${code})`));
    });
    return thread;
  });

  try {
    for (; head < jobs.length; head++) {
      const job = jobs[head];
      // Threads waiting for the writer to catch up may go on.
      for (const thread of idle.splice(0)) give(thread);
      run.startFile(job.name);
      if (job.spill !== undefined) await job.spill.writeTo(out);
      let end: Extract<FromThread, { type: "done" | "failed" }> | undefined;
      while (end === undefined) {
        if (failure !== undefined) throw failure;
        const message = job.messages.shift();
        if (message === undefined) {
          await new Promise<void>((resolve) => (heard = resolve));
          continue;
        }
        const thread = job.thread as Thread;
        if (message.type === "lines") await out.write(thread.bytes(message));
        else if (message.type === "dead-letter") await run.deadLetters.write(message.letter);
        else if (message.type === "progress") run.progress(job.name, message);
        else if (message.type === "done" || message.type === "failed") end = message;
        if (message.type === "lines" || message.type === "dead-letter") thread.written(message);
      }
      if (end.type === "done") run.fileDone(job.name, end);
      else run.fileFailed(job.name, end, end.why);
    }
    if (failure !== undefined) throw failure;
  } finally {
    ended = true;
    await Promise.all(workers.map((thread) => thread.worker.terminate()));
    await spills.remove();
  }
}

/** A worker thread and the slots of memory it hands its lines over in. */
class Thread {
  readonly worker: Worker;
  private readonly slots: Buffer[];

  constructor(lines: LineOptions) {
    const memory = Array.from({ length: SLOTS }, () => new SharedArrayBuffer(SLOT_BYTES));
    this.slots = memory.map((slot) => Buffer.from(slot));
    this.worker = new Worker(WORKER, {
      workerData: { lines, slots: memory },
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
  }

  tell(message: ToThread): void {
    this.worker.postMessage(message);
  }

  /** The lines of a message, in place: valid until written() gives their slot back. */
  bytes(message: Extract<FromThread, { type: "lines" }>): Buffer {
    return this.slots[message.slot].subarray(0, message.length);
  }

  /** The message's lines or dead letter are written: the thread may send another. */
  written(message: Extract<FromThread, { type: "lines" | "dead-letter" }>): void {
    this.tell(
      message.type === "lines" ? { type: "slot-free", slot: message.slot } : { type: "dead-letter-written" },
    );
  }
}

/** The temporary directory of the files read ahead, made on the first one. */
class SpillDirectory {
  private path: Promise<string> | undefined;

  open(index: number): Spill {
    this.path ??= mkdtemp(join(tmpdir(), "sfevents-replay-"));
    return new Spill(this.path.then((dir) => join(dir, `${index}.ndjson`)));
  }

  async remove(): Promise<void> {
    if (this.path === undefined) return;
    await rm(await this.path, { recursive: true, force: true });
  }
}

/** One file's lines, set aside while an earlier file is written; appends are kept in order. */
class Spill {
  private handle: Promise<FileHandle>;
  private written: Promise<void> = Promise.resolve();

  constructor(private readonly path: Promise<string>) {
    this.handle = path.then((file) => open(file, "w+")).catch((err) => this.failure(err));
  }

  append(bytes: Uint8Array): Promise<void> {
    this.written = this.written.then(async () => {
      const handle = await this.handle;
      try {
        // A file handle's write without a position appends after the last one, whole or rejected.
        let done = 0;
        while (done < bytes.length) done += (await handle.write(bytes, done)).bytesWritten;
      } catch (err) {
        this.failure(err);
      }
    });
    return this.written;
  }

  /** Writes what was set aside to `out` and closes the file (the directory is removed at the end). */
  async writeTo(out: Destination): Promise<void> {
    await this.written;
    const handle = await this.handle;
    // One buffer for every read: each write is done with it before the next read.
    const buffer = Buffer.allocUnsafe(SPILL_READ_BYTES);
    try {
      for (let position = 0; ; ) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) break;
        await out.write(buffer.subarray(0, bytesRead));
        position += bytesRead;
      }
    } finally {
      await handle.close();
    }
  }

  private async failure(err: unknown): Promise<never> {
    throw new Error(
      `cannot set aside the lines of a file read ahead in ${await this.path}: ${osReason(err)}. Free space in the temporary directory (TMPDIR), or replay with --threads 1.`,
    );
  }
}
