import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/observability/logger.js";
import { KEY_REJECTED } from "../../../src/outputs/sekoia/delivery.js";
import { SekoiaOutput } from "../../../src/outputs/sekoia/sink.js";
import { DeadLetters } from "../../../src/outputs/dead-letter.js";
import { type LocalIntake, startLocalIntake } from "../../../src/simulator/sekoia-intake.js";
import { loginEvent } from "../events.js";

const INTAKE_KEY = "sk-local-7Hq2Lw9Rt4Xm";

/** The demo and the benchmark deliver to the simulator's intake: the output must suit it as it is. */
describe("SekoiaOutput with the simulator's intake", () => {
  let intake: LocalIntake;
  let dir: string;

  beforeEach(async () => {
    intake = await startLocalIntake({ intakeKey: INTAKE_KEY, keepEvents: true });
    dir = mkdtempSync(join(tmpdir(), "sfevents-local-intake-"));
  });
  afterEach(async () => {
    await intake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function sekoia(intakeKey: string): SekoiaOutput {
    return new SekoiaOutput({
      url: intake.url,
      intakeKey,
      deadLetters: new DeadLetters(join(dir, "dead-letters.ndjson")),
      logger: createLogger({ destination: new Writable({ write: (_c, _e, done) => done() }) }),
      retry: { initialDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 60_000 },
    });
  }

  it("delivers through a 503 from an edge proxy", async () => {
    const output = sekoia(INTAKE_KEY);
    intake.failNext(503, 2);
    const events = Array.from({ length: 30 }, (_, i) => loginEvent(i + 2));
    for (const event of events) await output.write(event);
    await output.flush();
    await output.close();
    expect(intake.events).toEqual(events.map((e) => e.json));
    expect(output.counters.retries).toBe(2);
  });

  it("stops on a wrong key", async () => {
    const output = sekoia("sk-not-the-right-one");
    output.write(loginEvent(2));
    await expect(output.flush()).rejects.toThrowError(KEY_REJECTED);
    expect(await output.probe()).toMatchObject({ ok: false });
    await output.close();
    expect(await sekoia(INTAKE_KEY).probe()).toMatchObject({ ok: true });
  });
});
