import { type PubSubFaultSpec, pubSubFaultSchema } from "../scenario.js";

export interface ActivePubSubFault {
  id: number;
  spec: PubSubFaultSpec;
  /** Events counted against `after_events` so far. */
  seen: number;
  fired: boolean;
  /** quiet: the wall-clock instant it ends, set when armed. */
  until?: number;
}

/**
 * Pub/Sub faults waiting for their moment. Each fires once: drop-stream and auth-error on the stream
 * that carries the event after their `after_events`, refuse-replay-id on the next CUSTOM
 * subscription, quiet on every matching stream until its time is up.
 */
export class PubSubFaults {
  private faults: ActivePubSubFault[] = [];
  private nextId = 1;

  constructor(private readonly wallNow: () => number = Date.now) {}

  /** Validates and arms a fault; throws a ZodError describing a bad one. */
  add(input: unknown): ActivePubSubFault {
    const spec = pubSubFaultSchema.parse(input);
    const fault: ActivePubSubFault = { id: this.nextId++, spec, seen: 0, fired: false };
    if (spec.type === "quiet") fault.until = this.wallNow() + spec.for;
    this.faults.push(fault);
    return fault;
  }

  list(): readonly ActivePubSubFault[] {
    return this.faults;
  }

  clear(): void {
    this.faults = [];
  }

  /** When a quiet fault holds `topic`, the wall-clock instant it ends. */
  quietUntil(topic: string): number | undefined {
    const now = this.wallNow();
    let until: number | undefined;
    for (const f of this.faults) {
      if (f.spec.type !== "quiet" || !matches(f, topic) || (f.until ?? 0) <= now) continue;
      f.fired = true;
      until = Math.max(until ?? 0, f.until ?? 0);
    }
    return until;
  }

  /** Whether the next CUSTOM subscription to `topic` is refused (the fault is then spent). */
  refuseReplayId(topic: string): boolean {
    const fault = this.faults.find(
      (f) => f.spec.type === "refuse-replay-id" && !f.fired && matches(f, topic),
    );
    if (fault !== undefined) fault.fired = true;
    return fault !== undefined;
  }

  /**
   * How many of `count` events may go out on a stream of `topic` before a stream-ending fault, and
   * which one ends it then (undefined: all may go, nothing ends). The fault is spent once it fires.
   */
  streamBreak(topic: string, count: number): { allowed: number; fault?: "drop-stream" | "auth-error" } {
    for (const f of this.faults) {
      if (f.fired || !matches(f, topic)) continue;
      if (f.spec.type !== "drop-stream" && f.spec.type !== "auth-error") continue;
      const left = f.spec.after_events - f.seen;
      if (left <= count) {
        f.seen += left;
        f.fired = true;
        return { allowed: left, fault: f.spec.type };
      }
    }
    for (const f of this.faults) {
      if (!f.fired && matches(f, topic) && (f.spec.type === "drop-stream" || f.spec.type === "auth-error"))
        f.seen += count;
    }
    return { allowed: count };
  }
}

function matches(fault: ActivePubSubFault, topic: string): boolean {
  return fault.spec.topic === undefined || fault.spec.topic === topic;
}
