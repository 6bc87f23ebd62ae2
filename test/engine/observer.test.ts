import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CycleObserver } from "../../src/core/cycle.js";
import type { SourceEvent } from "../../src/core/event.js";
import { type Output, OutputError } from "../../src/core/output.js";
import type { Listing, Source, WorkUnit } from "../../src/core/source.js";
import { Engine } from "../../src/engine/engine.js";
import { createLogger } from "../../src/observability/logger.js";
import { openSqliteState, type StateStore } from "../../src/state/index.js";

/** What the engine tells its observer (metrics, the status page), with a real SQLite state. */

/** Like the Event Log File source, its id is known only once it is open (it names the interval). */
class LateIdSource implements Source {
  private openedAs: string | undefined;
  failOpen: Error | undefined;
  constructor(private readonly units: string[]) {}
  get id(): string {
    if (this.openedAs === undefined) throw new Error("not open yet");
    return this.openedAs;
  }
  readonly unitNoun = "unit";
  async open(): Promise<void> {
    if (this.failOpen) throw this.failOpen;
    this.openedAs = "late:hourly";
  }
  async list(): Promise<Listing> {
    return { since: new Date("2026-11-20T00:00:00Z"), units: this.units.map((key, i) => this.unit(key, i)) };
  }
  private unit(key: string, index: number): WorkUnit {
    const origin = { source: this.id, unit: key };
    return {
      key,
      name: `unit ${key}`,
      position: new Date(Date.UTC(2026, 10, 20, index)).toISOString(),
      checkpoint: key,
      origin,
      logFields: {},
      async *read() {
        const event: SourceEvent = {
          origin,
          line: 2,
          json: `{"k":"${key}"}`,
          fields: { kind: "csv", header: [], values: [] },
        };
        yield { events: [event], problems: [] };
      },
    };
  }
}

class FlakyOutput implements Output {
  readonly name = "flaky";
  failure: OutputError | undefined;
  write(): void {}
  async flush(): Promise<void> {
    const failure = this.failure;
    this.failure = undefined;
    if (failure) throw failure;
  }
  async close(): Promise<void> {}
}

describe("the engine's observer", () => {
  let dir: string;
  let state: StateStore;
  const told: unknown[][] = [];
  const observer: CycleObserver = {
    cycleStarted: (...args) => told.push(["started", ...args]),
    unitDelivered: (source, unit, rows) => told.push(["delivered", source, unit.key, rows]),
    cycleEnded: (source, _seconds, report, error) =>
      told.push(["ended", source, report?.delivered, error instanceof Error ? error.message : error]),
    openFailed: (error) => told.push(["openFailed", (error as Error).message]),
    outputFailed: (output, error) => told.push(["outputFailed", output, (error as Error).message]),
  };
  beforeEach(() => {
    told.length = 0;
    dir = mkdtempSync(join(tmpdir(), "sfevents-observer-"));
    state = openSqliteState(join(dir, "state.sqlite"));
  });
  afterEach(async () => {
    await state.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const engine = (output: Output) =>
    new Engine({
      state,
      outputs: [output],
      deadLetters: { path: "memory", count: 0, write: async () => {} },
      logger: createLogger({ level: "silent" }),
      settings: { concurrency: 1 },
      observer,
      sleep: async () => {},
    });

  it("hears of a cycle under the id the source has once open, and of each delivered unit", async () => {
    const report = await engine(new FlakyOutput()).runCycle(new LateIdSource(["a", "b"]));
    expect(report.delivered).toBe(2);
    expect(told).toEqual([
      ["started", "late:hourly"],
      ["delivered", "late:hourly", "a", 1],
      ["delivered", "late:hourly", "b", 1],
      ["ended", "late:hourly", 2, undefined],
    ]);
  });

  it("hears that a source could not be opened, with the error", async () => {
    const source = new LateIdSource(["a"]);
    source.failOpen = new Error("Salesforce is unreachable");
    await expect(engine(new FlakyOutput()).runCycle(source)).rejects.toThrow("Salesforce is unreachable");
    expect(told).toEqual([["openFailed", "Salesforce is unreachable"]]);
  });

  it("hears which output failed", async () => {
    const output = new FlakyOutput();
    output.failure = new OutputError("the intake gave up", false);
    const report = await engine(output).runCycle(new LateIdSource(["a"]));
    expect(report.failed).toHaveLength(1);
    expect(told).toContainEqual(["outputFailed", "flaky", "the intake gave up"]);
    expect(told.at(-1)).toEqual(["ended", "late:hourly", 0, undefined]);
  });
});
