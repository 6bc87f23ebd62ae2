import { availableParallelism } from "node:os";
import type { Logger } from "../observability/logger.js";
import { DecodeThreads, SMALLEST_THREADED_FILE } from "../sources/event-log-files/decode-threads.js";

/**
 * Threads beyond four buy little: the engine reads two files at a time by default, and the main
 * thread (downloads, state, outputs) is then the limit.
 */
const MOST_BY_DEFAULT = 4;

/**
 * How many worker threads decode Event Log Files when the configuration does not say: one fewer
 * than the cores the process may use, so that the main thread keeps a core of its own and a
 * one-core container decodes on the main thread, as before there were threads.
 */
export function defaultThreads(cores = availableParallelism()): number {
  return Math.max(0, Math.min(cores - 1, MOST_BY_DEFAULT));
}

/** The process's decoding threads (`threads:`), or none when it is 0 or the host has one core. */
export function openDecodeThreads(setting: number | undefined, logger: Logger): DecodeThreads | undefined {
  const size = setting ?? defaultThreads();
  const why = setting === undefined ? ` (threads: not set; ${availableParallelism()} cores)` : "";
  if (size === 0) {
    logger.debug(`Event Log Files are decoded on the main thread${why}`);
    return undefined;
  }
  logger.debug(
    `Event Log Files are decoded on ${size} worker thread${size === 1 ? "" : "s"}${why}; those under ${SMALLEST_THREADED_FILE / 1024 / 1024} MiB on the main thread`,
  );
  return new DecodeThreads(size);
}
