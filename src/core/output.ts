import { ExplainedError } from "./errors.js";
import type { SourceEvent } from "./event.js";

/**
 * A destination. Every output keeps the same promise, on which the checkpoint rests: when `flush()`
 * resolves, every event written before it has been acknowledged by the destination.
 */
export interface Output {
  readonly name: string;
  /**
   * Takes one event. Returns a promise only when the caller must wait before writing more
   * (the output's buffer is full): that is the backpressure that keeps memory bounded.
   * Once a delivery has failed, the promise rejects with that OutputError (and so does every
   * write until the next flush), so the caller can stop reading a file that will be sent again.
   */
  write(event: SourceEvent): void | Promise<void>;
  /**
   * Delivers everything written so far and resolves once the destination has acknowledged it all.
   * Rejects with an OutputError when delivery cannot succeed (a rejected intake key, a path that
   * cannot be written) or the retry budget is spent; nothing written since the last successful
   * flush may then be considered delivered. The failure is reported once: the output has dropped
   * what it held and accepts writes again. When several files are written at once, a rejected
   * write or flush means that every file not yet acknowledged must be delivered again.
   */
  flush(): Promise<void>;
  /**
   * Events sent again after a request whose outcome is unknown (a timeout: the destination may have
   * stored them), counted since the output was opened; absent where that cannot happen.
   */
  readonly possibleDuplicates?: number;
  /**
   * Requests sent again after an answer that did not deliver (a 429, a 5xx, a timeout), counted
   * since the output was opened, for metrics; absent where an output does not retry.
   */
  readonly retries?: number;
  /** Releases the output. Events not flushed are abandoned: no checkpoint covers them. */
  close(): Promise<void>;
}

/**
 * A delivery failure. `fatal` means retrying cannot help (configuration: collection stops);
 * otherwise the output gave up for now, and the cycle ends with its files to be delivered again.
 */
export class OutputError extends ExplainedError {
  constructor(
    message: string,
    readonly fatal: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, fatal ? "stop" : "end-cycle", options);
  }
}
