import type { DeadLetter } from "../core/dead-letters.js";
import type { FileCounts } from "./run.js";
import type { LineOptions } from "./output.js";

/** What a replay thread is started with: how to write lines, and the slots it writes them into. */
export interface ThreadData {
  lines: LineOptions;
  /** Memory shared with the main thread, one slot per message of lines the thread may have in flight. */
  slots: SharedArrayBuffer[];
}

/** The main thread's messages to a replay thread. */
export type ToThread =
  /** Replay this file; a thread is given the next one only once it has said this one ended. */
  | { type: "file"; path: string; name: string; eventType: string | undefined }
  /** The lines in this slot are written: the thread may fill it again. */
  | { type: "slot-free"; slot: number }
  /** A dead letter of the thread's is written: it may send one more. */
  | { type: "dead-letter-written" };

/** A replay thread's messages, in the order of its files and, within a file, of its rows. */
export type FromThread =
  /** The thread could not start (a GeoIP file that cannot be read): nothing will be replayed. */
  | { type: "unready"; message: string; geoip: boolean }
  /** UTF-8 of NDJSON lines, the first `length` bytes of a slot; a line may go on in the next slot. */
  | { type: "lines"; slot: number; length: number }
  /** A row set aside; at most DEAD_LETTER_WINDOW of them unwritten. */
  | { type: "dead-letter"; letter: DeadLetter }
  | ({ type: "progress" } & FileCounts)
  | ({ type: "done" } & FileCounts)
  | ({ type: "failed"; why: string } & FileCounts);

/**
 * Slots of lines per thread, and their size. A slot is encoded into and written from in place, so no
 * buffer is made per chunk; four of them let the thread fill one while the main thread writes
 * another, and bound what a thread holds to a megabyte however slow standard output is.
 */
export const SLOTS = 4;
export const SLOT_BYTES = 1024 * 1024;
/** A slot with less room than this is sent: the next chunk of 64 Ki characters may not fit. */
export const SLOT_FULL_BELOW = 192 * 1024;
/** Dead letters a thread may have sent and not yet seen written. */
export const DEAD_LETTER_WINDOW = 64;
