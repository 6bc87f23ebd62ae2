import { parseDuration } from "../core/duration.js";

/**
 * The org's notion of "now". Everything that ages in the simulator reads it: which files exist, token
 * and query-locator expiry, the daily API allowance. Tests move it forward so that new and late files
 * appear between two runs of a collector; a running clock also follows wall time between moves.
 */
export class SimulatedClock {
  /** Simulated time at the wall-clock instant `since`. */
  private base: number;
  private since: number;
  private readonly moved = new Set<() => void>();

  constructor(
    start: Date,
    readonly running: boolean,
    private readonly wall: () => number = Date.now,
  ) {
    this.base = start.getTime();
    this.since = this.wall();
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  nowMs(): number {
    return this.running ? this.base + (this.wall() - this.since) : this.base;
  }

  /** Moves to a given time. The simulated org never goes back in time: files once seen stay seen. */
  set(time: Date): void {
    const target = time.getTime();
    if (Number.isNaN(target)) throw new RangeError("expected an ISO date-time such as 2026-03-11T15:00:00Z");
    if (target < this.nowMs()) {
      throw new RangeError(`the clock only moves forward; it is already ${this.now().toISOString()}`);
    }
    this.base = target;
    this.since = this.wall();
    for (const listener of this.moved) listener();
  }

  /** Calls `listener` after every move (set or advance); returns what removes it. */
  onMove(listener: () => void): () => void {
    this.moved.add(listener);
    return () => this.moved.delete(listener);
  }

  /** Moves forward by a duration such as "3h", "90m" or "1d". */
  advance(by: string): void {
    const ms = parseDuration(by);
    if (ms === undefined)
      throw new RangeError(`expected a duration such as "3h" (units s, m, h, d), got "${by}"`);
    this.set(new Date(this.nowMs() + ms));
  }
}
