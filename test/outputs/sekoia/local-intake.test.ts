import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/observability/logger.js";
import type { OutputError } from "../../../src/core/output.js";
import { KEY_REJECTED } from "../../../src/outputs/sekoia/intake.js";
import { SekoiaOutput } from "../../../src/outputs/sekoia/sink.js";
import { DeadLetters } from "../../../src/outputs/dead-letter.js";
import { type LocalIntake, startLocalIntake } from "../../../src/simulator/sekoia-intake.js";
import { loginEvent } from "../../support/events.js";

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

  function sekoia(
    intakeKey: string,
    options: { deadLetters?: DeadLetters; retryBudgetMs?: number } = {},
  ): SekoiaOutput {
    return new SekoiaOutput({
      url: intake.url,
      intakeKey,
      deadLetters: options.deadLetters ?? new DeadLetters(join(dir, "dead-letters.ndjson")),
      logger: createLogger({ destination: new Writable({ write: (_c, _e, done) => done() }) }),
      retry: { initialDelayMs: 1, maxDelayMs: 5, maxElapsedMs: options.retryBudgetMs ?? 60_000 },
    });
  }

  it("can answer 200 without acknowledging, which delivers nothing, and then acknowledge again", async () => {
    const output = sekoia(INTAKE_KEY, { retryBudgetMs: 50 });
    intake.acknowledgeWith({ status: "error" });
    output.write(loginEvent(2));
    const error = (await output.flush().catch((e: unknown) => e)) as OutputError;
    expect(error.message).toContain('got {"status":"error"}');
    expect(intake.events).toEqual([]);
    expect(await output.probe()).toMatchObject({ ok: false });
    intake.acknowledgeWith(undefined);
    output.write(loginEvent(3));
    await output.flush();
    await output.close();
    expect(intake.events).toEqual([loginEvent(3).json]);
  });

  it("can refuse large bodies and marked events, which the output splits around", async () => {
    const deadLetters = new DeadLetters(join(dir, "dead-letters.ndjson"));
    const output = sekoia(INTAKE_KEY, { deadLetters });
    intake.limitBody(1_000);
    intake.refuse((event) => event.includes("/refused"));
    const events = Array.from({ length: 30 }, (_, i) =>
      loginEvent(i + 2, { uri: i === 9 ? "/refused" : `/${i}` }),
    );
    for (const event of events) await output.write(event);
    await output.flush();
    await output.close();
    await deadLetters.close();
    expect(intake.events).toEqual(events.filter((_, i) => i !== 9).map((e) => e.json));
    const [letter] = readFileSync(deadLetters.path, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(letter).toMatchObject({ line: 11, payload: events[9].json });
    expect(letter.reason).toMatch(/HTTP 400: .*jsons\[0\]/);
  });

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
