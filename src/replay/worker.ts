import { createReadStream } from "node:fs";
import { Writable } from "node:stream";
import { parentPort, workerData } from "node:worker_threads";
import { GeoIpError } from "../normalize/geoip.js";
import { describeFailure, FileReplay } from "./file.js";
import { openLines } from "./output.js";
import type { FileCounts } from "./run.js";
import {
  DEAD_LETTER_WINDOW,
  type FromThread,
  SLOT_BYTES,
  SLOT_FULL_BELOW,
  type ThreadData,
  type ToThread,
} from "./protocol.js";

/**
 * A replay thread: reads the files it is given one at a time, parses and encodes their rows, and
 * hands the main thread finished UTF-8 lines. The main thread writes them in the order of the files.
 */
if (parentPort === null) throw new Error("src/replay/worker.ts runs as a worker thread of sfevents replay");
const port = parentPort;
const data = workerData as ThreadData;

const send = (message: FromThread) => port.postMessage(message);

/** A count of things the main thread lets this thread have in flight, and a wait for one to come back. */
class Credits<T> {
  private waiting: (() => void) | undefined;
  constructor(readonly free: T[]) {}

  async take(): Promise<T> {
    while (this.free.length === 0) await new Promise<void>((resolve) => (this.waiting = resolve));
    return this.free.pop() as T;
  }

  give(credit: T): void {
    this.free.push(credit);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }
}

const slots = new Credits(data.slots.map((_, slot) => slot));
const slotBytes = data.slots.map((memory) => new Uint8Array(memory));
const deadLetterCredits = new Credits(Array.from({ length: DEAD_LETTER_WINDOW }, () => true));
const utf8 = new TextEncoder();

/** The slot being filled: chunks are gathered in it so that the main thread wakes once per slot. */
let filling: { slot: number; length: number } | undefined;
/** The file's counts, told to the main thread with its lines rather than once per chunk read. */
let counts: FileCounts | undefined;

/** Encodes `text` into slots, the one being filled first, handing each to the main thread once full. */
async function sendLines(text: string): Promise<void> {
  let rest = text;
  while (rest.length > 0) {
    filling ??= { slot: await slots.take(), length: 0 };
    const { read, written } = utf8.encodeInto(rest, slotBytes[filling.slot].subarray(filling.length));
    filling.length += written;
    rest = read === rest.length ? "" : rest.slice(read);
    if (rest.length > 0 || SLOT_BYTES - filling.length < SLOT_FULL_BELOW) sendSlot();
  }
}

/** Hands the slot being filled to the main thread, with the counts so far. */
function sendSlot(): void {
  if (filling === undefined) return;
  if (counts !== undefined) send({ type: "progress", ...counts });
  counts = undefined;
  if (filling.length > 0) send({ type: "lines", ...filling });
  else slots.give(filling.slot);
  filling = undefined;
}

/** The file output's chunks, each encoded into a slot the main thread writes from. */
const toMainThread = new Writable({
  decodeStrings: false,
  highWaterMark: SLOT_BYTES,
  write(text: string, _encoding, done) {
    sendLines(text).then(() => done(), done);
  },
});

const ready = openLines(data.lines, toMainThread).catch((err: unknown) => {
  send({ type: "unready", message: (err as Error).message, geoip: err instanceof GeoIpError });
  return undefined;
});

async function replayFile(message: Extract<ToThread, { type: "file" }>): Promise<void> {
  const lines = await ready;
  if (lines === undefined) return;
  const { output } = lines;
  const file = new FileReplay(message.name, message.eventType, {
    write: (event) => output.write(event),
    deadLetter: async (letter) => {
      await deadLetterCredits.take();
      send({ type: "dead-letter", letter });
    },
    progress: (rows, deadLetters) => {
      counts = { rows, deadLetters };
    },
  });
  const source = createReadStream(message.path);
  try {
    await file.read(source);
    // Every line of the file is with the main thread before it hears the file ended.
    await output.flush();
    sendSlot();
    send({ type: "done", rows: file.rows, deadLetters: file.deadLetters });
  } catch (err) {
    // The rows read before the failure are written, as on the main thread.
    await output.flush();
    sendSlot();
    send({
      type: "failed",
      why: describeFailure(message.path, err),
      rows: file.rows,
      deadLetters: file.deadLetters,
    });
  } finally {
    source.destroy();
  }
}

port.on("message", (message: ToThread) => {
  if (message.type === "slot-free") return slots.give(message.slot);
  if (message.type === "dead-letter-written") return deadLetterCredits.give(true);
  // A file's own failures are reported as "failed"; anything else is a defect of sfevents, and its
  // unhandled rejection ends the thread, which the main thread reports.
  void replayFile(message);
});
