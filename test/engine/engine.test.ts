import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DeadLetter, DeadLetterSink } from "../../src/core/dead-letters.js";
import { ExplainedError } from "../../src/core/errors.js";
import type { SourceEvent } from "../../src/core/event.js";
import { type Output, OutputError } from "../../src/core/output.js";
import type { Listing, Source, UnitBatch, WorkUnit } from "../../src/core/source.js";
import { Engine, type EngineSettings } from "../../src/engine/engine.js";
import { createLogger } from "../../src/observability/logger.js";
import { openSqliteState, type StateStore } from "../../src/state/index.js";

/**
 * The engine with sources and outputs held in memory and a real SQLite state: what it promises
 * (a checkpoint moves only over units every output acknowledged, in listing order) seen without
 * Salesforce or HTTP in the way.
 */

const SOURCE = "memory:test";

interface UnitPlan {
  key: string;
  scope?: string;
  /** Each event's JSON text; a unit's events are read in one batch unless `batches` splits them. */
  events: string[];
  problems?: UnitBatch["problems"];
  /** Thrown by read(), once per attempt, before any event, while attempts remain. */
  failures?: Error[];
}

class MemorySource implements Source {
  readonly id = SOURCE;
  readonly unitNoun = "memory unit";
  opened = 0;
  /** Units being read right now, and the most read at once. */
  reading = new Set<string>();
  mostAtOnce = 0;
  readsOf = new Map<string, number>();
  listedWith: (string | undefined)[] = [];

  constructor(public plans: UnitPlan[]) {}

  async open(): Promise<void> {
    this.opened++;
  }

  async list(checkpoint: string | undefined): Promise<Listing> {
    this.listedWith.push(checkpoint);
    return {
      since: new Date("2026-11-20T00:00:00Z"),
      units: this.plans.map((plan, i) => this.unit(plan, i)),
    };
  }

  private unit(plan: UnitPlan, index: number): WorkUnit {
    const origin = { source: SOURCE, unit: plan.key, eventType: "Test" };
    return {
      key: plan.key,
      name: `unit ${plan.key}`,
      scope: plan.scope,
      position: new Date(Date.UTC(2026, 10, 20, index)).toISOString(),
      checkpoint: `after-${plan.key}`,
      origin,
      logFields: { unit: plan.key },
      read: (signal) => this.read(plan, origin, signal),
    };
  }

  private async *read(
    plan: UnitPlan,
    origin: SourceEvent["origin"],
    _signal: AbortSignal,
  ): AsyncGenerator<UnitBatch> {
    this.readsOf.set(plan.key, (this.readsOf.get(plan.key) ?? 0) + 1);
    this.reading.add(plan.key);
    this.mostAtOnce = Math.max(this.mostAtOnce, this.reading.size);
    try {
      // Let other workers start: a unit takes a few turns of the event loop to read.
      await new Promise((resolve) => setImmediate(resolve));
      const failure = plan.failures?.shift();
      if (failure) throw failure;
      const events = plan.events.map(
        (json, i): SourceEvent => ({
          origin,
          line: i + 2,
          json,
          fields: { kind: "csv", header: [], values: [] },
        }),
      );
      yield { events, problems: plan.problems ?? [] };
    } finally {
      this.reading.delete(plan.key);
    }
  }
}

/** An output that holds writes until flush() "acknowledges" them; `failNextFlush` makes it give up once. */
class MemoryOutput implements Output {
  readonly name = "memory";
  acknowledged: string[] = [];
  private pending: string[] = [];
  failNextFlush: OutputError | undefined;
  flushes = 0;

  write(event: SourceEvent): void {
    this.pending.push(event.json);
  }

  async flush(): Promise<void> {
    this.flushes++;
    await new Promise((resolve) => setImmediate(resolve));
    const failure = this.failNextFlush;
    if (failure) {
      this.failNextFlush = undefined;
      this.pending = [];
      throw failure;
    }
    this.acknowledged.push(...this.pending);
    this.pending = [];
  }

  async close(): Promise<void> {}
}

class MemoryDeadLetters implements DeadLetterSink {
  readonly path = "memory";
  letters: DeadLetter[] = [];
  get count() {
    return this.letters.length;
  }
  async write(letter: DeadLetter): Promise<void> {
    this.letters.push(letter);
  }
}

describe("the engine", () => {
  let dir: string;
  let state: StateStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sfevents-engine-"));
    state = openSqliteState(join(dir, "state.sqlite"));
  });
  afterEach(async () => {
    await state.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function engine(
    outputs: Output[],
    settings: Partial<EngineSettings> = {},
    deadLetters = new MemoryDeadLetters(),
  ) {
    return new Engine({
      state,
      outputs,
      deadLetters,
      logger: createLogger({ level: "silent" }),
      settings: { concurrency: 2, ...settings },
      now: () => new Date("2026-11-21T00:00:00Z"),
      sleep: async () => {},
    });
  }

  it("delivers every unit to every output, then moves the checkpoint to the last unit", async () => {
    const source = new MemorySource([
      { key: "a", events: ['{"n":1}', '{"n":2}'] },
      { key: "b", events: ['{"n":3}'] },
      { key: "c", events: [] },
    ]);
    const [one, two] = [new MemoryOutput(), new MemoryOutput()];
    const report = await engine([one, two]).runCycle(source);
    expect(report).toMatchObject({ source: SOURCE, listed: 3, delivered: 3, rows: 3, failed: [] });
    expect(one.acknowledged.sort()).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    expect(two.acknowledged.sort()).toEqual(one.acknowledged.sort());
    expect(await state.checkpoint(SOURCE)).toBe("after-c");
    expect(await Promise.all(["a", "b", "c"].map((key) => state.isDelivered(SOURCE, key)))).toEqual([
      true,
      true,
      true,
    ]);
  });

  it("reads and commits a cycle through the state it is given (a lease's fenced view), not its own", async () => {
    const source = new MemorySource([
      { key: "a", scope: "x", events: ['{"n":1}'] },
      { key: "b", scope: "x", events: ['{"n":1}', '{"n":2}'] },
    ]);
    const other = openSqliteState(join(dir, "fenced.sqlite"));
    try {
      const report = await engine([new MemoryOutput()]).runCycle(source, undefined, other);
      expect(report).toMatchObject({ delivered: 2, rows: 2, repeatedRows: 1 });
      expect(await other.checkpoint(SOURCE)).toBe("after-b");
      expect(await other.isDelivered(SOURCE, "b")).toBe(true);
      expect(await state.checkpoint(SOURCE)).toBeUndefined();
      expect(await state.isDelivered(SOURCE, "a")).toBe(false);
    } finally {
      await other.close();
    }
  });

  it("opens a source once, and lists from the checkpoint it committed", async () => {
    const source = new MemorySource([{ key: "a", events: ['{"n":1}'] }]);
    const run = engine([new MemoryOutput()]);
    await run.runCycle(source);
    const again = await run.runCycle(source);
    expect(source.opened).toBe(1);
    expect(source.listedWith).toEqual([undefined, "after-a"]);
    // A unit listed again is known to be delivered: nothing is read or sent twice.
    expect(again).toMatchObject({ listed: 1, delivered: 0, rows: 0 });
    expect(source.readsOf.get("a")).toBe(1);
  });

  it("holds the checkpoint before a unit that failed, however many after it were delivered", async () => {
    const broken = new ExplainedError("the unit is unreadable for now", "skip-unit");
    const source = new MemorySource([
      { key: "a", events: ['{"n":1}'] },
      { key: "b", events: ['{"n":2}'], failures: [broken] },
      { key: "c", events: ['{"n":3}'] },
    ]);
    const output = new MemoryOutput();
    const run = engine([output], { concurrency: 1 });
    const first = await run.runCycle(source);
    expect(first.failed).toEqual([{ unit: "unit b", error: "the unit is unreadable for now" }]);
    expect(first.delivered).toBe(2);
    expect(await state.checkpoint(SOURCE)).toBe("after-a");

    // The next cycle lists from a's checkpoint, reads only b, and the prefix then reaches c.
    const second = await run.runCycle(source);
    expect(second).toMatchObject({ delivered: 1, rows: 1, failed: [] });
    expect(await state.checkpoint(SOURCE)).toBe("after-c");
    expect(output.acknowledged).toEqual(['{"n":1}', '{"n":3}', '{"n":2}']);
  });

  it("commits nothing an output failed to acknowledge, and ends the cycle", async () => {
    const source = new MemorySource([
      { key: "a", events: ['{"n":1}'] },
      { key: "b", events: ['{"n":2}'] },
    ]);
    const output = new MemoryOutput();
    output.failNextFlush = new OutputError("the destination gave up", false);
    const report = await engine([output], { concurrency: 2 }).runCycle(source);
    expect(report.delivered).toBe(0);
    expect(report.failed.map((f) => f.error)).toContain("the destination gave up");
    expect(await state.checkpoint(SOURCE)).toBeUndefined();
    expect(await state.isDelivered(SOURCE, "a")).toBe(false);
  });

  it("stops on an error no retry can fix, and says it", async () => {
    const source = new MemorySource([
      { key: "a", events: ['{"n":1}'], failures: [new ExplainedError("credentials revoked", "stop")] },
      { key: "b", events: ['{"n":2}'] },
    ]);
    await expect(engine([new MemoryOutput()], { concurrency: 1 }).runCycle(source)).rejects.toThrow(
      "credentials revoked",
    );
    expect(await state.checkpoint(SOURCE)).toBeUndefined();
  });

  it("reads a unit again after an error that may not recur, up to its attempts", async () => {
    const reset = () => new ExplainedError("the download was reset", "retry-unit");
    const source = new MemorySource([
      { key: "a", events: ['{"n":1}'], failures: [reset()] },
      { key: "b", events: ['{"n":2}'], failures: [reset(), reset(), reset()] },
    ]);
    const report = await engine([new MemoryOutput()], { attemptsPerUnit: 3 }).runCycle(source);
    expect(source.readsOf.get("a")).toBe(2);
    expect(source.readsOf.get("b")).toBe(3);
    expect(report.delivered).toBe(1);
    expect(report.failed).toEqual([{ unit: "unit b", error: "the download was reset" }]);
  });

  it("reads at most `concurrency` units at once, and the units of one scope one after another", async () => {
    const many = Array.from({ length: 8 }, (_, i) => ({ key: `u${i}`, events: [`{"n":${i}}`] }));
    const wide = new MemorySource(many);
    await engine([new MemoryOutput()], { concurrency: 3 }).runCycle(wide);
    expect(wide.mostAtOnce).toBe(3);

    await state.close();
    state = openSqliteState(join(dir, "scoped.sqlite"));
    const scoped = new MemorySource(many.map((plan) => ({ ...plan, scope: "one hour" })));
    await engine([new MemoryOutput()], { concurrency: 3 }).runCycle(scoped);
    expect(scoped.mostAtOnce).toBe(1);
  });

  it("skips events a delivered unit of the same scope carried, and only within that scope", async () => {
    const source = new MemorySource([
      { key: "hourly", scope: "Login 10:00", events: ['{"n":1}', '{"n":2}'] },
      { key: "replaced", scope: "Login 10:00", events: ['{"n":2}', '{"n":3}'] },
      { key: "other", scope: "Logout 10:00", events: ['{"n":2}'] },
    ]);
    const output = new MemoryOutput();
    const report = await engine([output]).runCycle(source);
    expect(report).toMatchObject({ rows: 4, repeatedRows: 1 });
    expect(output.acknowledged.sort()).toEqual(['{"n":1}', '{"n":2}', '{"n":2}', '{"n":3}']);

    const undeduplicated = new MemoryOutput();
    await state.close();
    state = openSqliteState(join(dir, "plain.sqlite"));
    expect(await engine([undeduplicated], { deduplicate: false }).runCycle(source)).toMatchObject({
      rows: 5,
      repeatedRows: 0,
    });
  });

  it("writes what a unit could not read to the dead letters, named by its origin", async () => {
    const deadLetters = new MemoryDeadLetters();
    const source = new MemorySource([
      {
        key: "a",
        events: ['{"n":1}'],
        problems: [{ reason: "expected 4 columns, found 3", line: 3, excerpt: "x" }],
      },
    ]);
    const report = await engine([new MemoryOutput()], {}, deadLetters).runCycle(source);
    expect(report.deadLetters).toBe(1);
    expect(deadLetters.letters).toEqual([
      {
        reason: "expected 4 columns, found 3",
        source: SOURCE,
        unit: "a",
        eventType: "Test",
        line: 3,
        chars: undefined,
        payload: "x",
      },
    ]);
  });

  it("acknowledges units that finish together with one flush of each output", async () => {
    const source = new MemorySource(
      Array.from({ length: 6 }, (_, i) => ({ key: `u${i}`, events: [`{"n":${i}}`] })),
    );
    const output = new MemoryOutput();
    await engine([output], { concurrency: 6 }).runCycle(source);
    expect(output.acknowledged).toHaveLength(6);
    expect(output.flushes).toBeLessThan(6);
  });
});
