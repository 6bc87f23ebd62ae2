import { count } from "../../src/observability/count.js";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { acknowledgeAll, FakeIntake } from "../support/intake.js";
import {
  collectorConfig,
  collectorEnv,
  deliveredFiles,
  expectedRows,
  type GroundTruth,
  INTAKE_KEY,
  liveStderr,
  logLines,
  useFrozenOrg,
  waitFor,
} from "../faults/support.js";
import { readNdjson, runCli, startCli, tally } from "./harness.js";

/**
 * The intake's answers, end to end: a 200 that acknowledges nothing delivers nothing; a batch refused
 * with 400 costs only its refused events (in the dead-letter file), not the collection; a request
 * that times out is sent again and reported as possible duplicates.
 */
describe("what the Sekoia.io intake answers", () => {
  const shared = useFrozenOrg(11, "faults-intake-answers");
  let intake: FakeIntake | undefined;
  let truth: Promise<GroundTruth> | undefined;

  afterEach(async () => {
    await intake?.close();
    intake = undefined;
  });

  /** One event type keeps each run to a few seconds. */
  const eventTypes = ["Login"];

  async function setUp(
    name: string,
    options: { sekoia?: Record<string, unknown>; pollEvery?: string; retryBudget?: string } = {},
  ) {
    intake = await FakeIntake.start({ intakeKey: INTAKE_KEY });
    const dir = join(shared.dir, name);
    mkdirSync(dir);
    const config = collectorConfig({
      dir,
      org: shared.org,
      intake,
      eventTypes,
      retryBudget: options.retryBudget ?? "1s",
      pollEvery: options.pollEvery,
      sekoia: options.sekoia,
    });
    // The org's clock is frozen: its rows are read once for every test.
    truth ??= expectedRows(shared.org, eventTypes);
    return { intake, dir, config, env: collectorEnv(shared.org), truth: await truth };
  }

  it('marks nothing delivered when the intake answers 200 {"status":"error"}, and delivers every row once it acknowledges', async () => {
    const { intake, dir, config, env, truth } = await setUp("not-acknowledged");
    intake.acknowledge = () => ({ status: "error" });

    const failed = await runCli(["collect", "--once", "--config", config], env);
    expect(failed.code).toBe(1);
    expect(logLines(failed.stderr).map((l) => l.msg)).toContainEqual(
      expect.stringContaining(
        'HTTP 200 that does not acknowledge the batch: expected {"event_ids": [...]} with',
      ),
    );
    expect(failed.stderr).toContain('got {\\"status\\":\\"error\\"}');
    expect(deliveredFiles(join(dir, "state.sqlite")).size).toBe(0);
    expect(intake.events).toEqual([]);

    const check = await runCli(["check", "--config", config], env);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/^✗ Sekoia\.io intake: .*does not answer like a Sekoia\.io intake/m);

    intake.acknowledge = acknowledgeAll;
    const healthy = await runCli(["collect", "--once", "--config", config], env);
    expect(healthy.code).toBe(0);
    const { missing, unknown, extra } = truth.compare(intake.events);
    expect([missing.length, unknown.length, extra.size]).toEqual([0, 0, 0]);
  });

  it("keeps polling through a batch refused with 400, with only the refused events in the dead letters", async () => {
    const { intake, dir, config, env, truth } = await setUp("refused", { pollEvery: "1s" });
    // Two rows of two different files, each the only copy of itself.
    const single = [...truth.counts]
      .filter(([json, n]) => n === 1 && truth.fileOf(json))
      .map(([json]) => json);
    const refused = [single[0], single.find((json) => truth.fileOf(json) !== truth.fileOf(single[0]))!];
    intake.refuses = (event) => refused.includes(event);

    const { child, done } = startCli(["collect", "--config", config], env);
    const stderr = liveStderr(child);
    // A second cycle after the refusals: the collector is still polling.
    try {
      await waitFor(() => stderr().split("cycle done").length > 2, 30_000, "two cycles");
    } finally {
      child.kill("SIGTERM");
    }
    const result = await done;
    expect(result.code).toBe(0);

    const { missing, unknown, extra } = truth.compare(intake.events);
    expect(missing.sort()).toEqual([...refused].sort());
    expect([unknown.length, extra.size]).toEqual([0, 0]);
    const letters = readNdjson(join(dir, "dead-letters.ndjson")).map((l) => JSON.parse(l));
    expect(letters.map((l) => [l.unit, l.payload]).sort()).toEqual(
      refused.map((json) => [truth.fileOf(json), json]).sort(),
    );
    expect(letters.every((l) => /refused by the Sekoia\.io intake \(HTTP 400: /.test(l.reason))).toBe(true);
    // Every file, those with a refused row included, is delivered.
    const files = new Set([...truth.files.values()].flatMap((ids) => [...ids]));
    expect(deliveredFiles(join(dir, "state.sqlite"))).toEqual(files);
    const summary = logLines(result.stderr).find((l) => l.msg.startsWith("cycle done"));
    expect(summary?.deadLetters).toBe(2);
  });

  it("reports the rows of a timed-out batch, sent again, as possible duplicates", async () => {
    const { intake, config, env, truth } = await setUp("timed-out", {
      sekoia: { request_timeout: "1s" },
      retryBudget: "30s",
    });
    // The first batch is answered (and stored) after the collector has given up on it.
    intake.delay(2_500, 1);
    const run = await runCli(["collect", "--once", "--config", config], env);
    expect(run.code).toBe(0);
    const { missing, extra } = truth.compare(intake.events);
    expect(missing).toEqual([]);
    const twice = [...extra.values()].reduce((a, b) => a + b, 0);
    expect(twice).toBeGreaterThan(0);
    const summary = logLines(run.stderr).find((l) => l.msg.startsWith("cycle done"));
    expect(summary?.possibleDuplicates).toBe(twice);
    expect(summary?.msg).toContain(`${count(twice, "row")} sent again after a timeout (possible duplicates)`);
    expect(tally(intake.events).size).toBe(truth.counts.size);
  });
});
