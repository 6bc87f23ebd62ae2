import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/simulator/server/index.js";
import { FakeIntake } from "../support/intake.js";
import {
  addFault,
  expectedEvents,
  faultsFired,
  moveClock,
  readNdjson,
  runCli,
  soql,
  startCli,
  tally,
  tempDir,
  writeConfig,
} from "./harness.js";

type Org = Awaited<ReturnType<typeof startSimulator>>;
const INTAKE_KEY = "integration-intake-key";

/**
 * Two days of a small org: enough files to paginate, small enough to collect in a second. Its clock
 * is frozen so that files appear only when a test moves it: on a running clock a file published
 * between two runs (or between a run and the ground-truth read) makes the comparison flaky.
 */
const SMALL_ORG = { seed: 7, days: 2, clock: { running: false } };

interface FileRow {
  Id: string;
  Interval?: string;
  Sequence?: number;
  CreatedDate: string;
}

describe("sfevents collect against the simulated org", () => {
  let org: Org;
  let intake: FakeIntake;
  let dir: ReturnType<typeof tempDir>;
  let outFile: string;

  function config(overrides: { interval?: string; sekoia?: boolean; deduplicate?: boolean } = {}): string {
    return writeConfig(dir.path, {
      salesforce: { url: org.url, client_id: org.clientId, client_secret: "${SF_SECRET}" },
      event_log_files: {
        interval: overrides.interval ?? "auto",
        start: "2000-01-01T00:00:00Z",
        concurrency: 2,
        deduplicate: overrides.deduplicate ?? true,
      },
      outputs: {
        ...(overrides.sekoia === false ? {} : { sekoia: { url: intake.url, intake_key: "${INTAKE_KEY}" } }),
        file: { path: outFile },
      },
      state: { path: join(dir.path, "state.sqlite") },
      dead_letters: { path: join(dir.path, "dead-letters.ndjson") },
    });
  }
  const env = () => ({ SF_SECRET: org.clientSecret, INTAKE_KEY });
  const collectOnce = (path: string) => runCli(["collect", "--once", "--config", path], env());

  beforeEach(async () => {
    dir = tempDir("collect");
    outFile = join(dir.path, "out", "events.ndjson");
    intake = await FakeIntake.start({ intakeKey: INTAKE_KEY });
  });
  afterEach(async () => {
    await intake.close();
    await org?.close();
    dir.remove();
  });

  it("delivers every row exactly as written, then nothing new on a second run", async () => {
    org = await startSimulator(SMALL_ORG);
    const path = config();
    const first = await collectOnce(path);
    expect(first.stderr).toContain("collecting hourly Event Log Files");
    expect(first.code).toBe(0);

    const expected = await expectedEvents(org, "Hourly");
    expect(expected.size).toBeGreaterThan(100);
    expect(tally(readNdjson(outFile))).toEqual(expected);
    expect(tally(intake.events)).toEqual(expected);

    const second = await collectOnce(path);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain("found 0 new hourly Event Log Files");
    expect(tally(readNdjson(outFile))).toEqual(expected);
    expect(intake.events.length).toBe(readNdjson(outFile).length);
  });

  it("delivers new files, late Sequence files and files sharing a CreatedDate second after the clock moves", async () => {
    org = await startSimulator(SMALL_ORG);
    const path = config();
    expect((await collectOnce(path)).code).toBe(0);
    const before = await soql<FileRow>(
      org,
      "SELECT Id, CreatedDate FROM EventLogFile WHERE Interval = 'Hourly'",
    );

    await moveClock(org.url, { advance: "8h" });
    expect((await collectOnce(path)).code).toBe(0);

    const after = await soql<FileRow>(
      org,
      "SELECT Id, Sequence, CreatedDate FROM EventLogFile WHERE Interval = 'Hourly'",
    );
    const known = new Set(before.map((f) => f.Id));
    const fresh = after.filter((f) => !known.has(f.Id));
    expect(fresh.some((f) => (f.Sequence ?? 0) > 1)).toBe(true);
    const seconds = tally(after.map((f) => f.CreatedDate));
    expect([...seconds.values()].some((n) => n > 1)).toBe(true);
    expect(tally(readNdjson(outFile))).toEqual(await expectedEvents(org, "Hourly"));
  });

  it("survives a 401 in the middle of pagination and a 503 on a download", async () => {
    org = await startSimulator({ ...SMALL_ORG, query: { max_page_size: 200 } });
    await addFault(org.url, { route: "queryMore", status: 401, nth: 1 });
    await addFault(org.url, { route: "download", status: 503, nth: 3 });
    const run = await collectOnce(config());
    expect(run.code).toBe(0);
    expect(await faultsFired(org.url)).toEqual([1, 1]);
    expect(tally(readNdjson(outFile))).toEqual(await expectedEvents(org, "Hourly"));
  });

  it("loses nothing when the intake fails for a while", async () => {
    org = await startSimulator(SMALL_ORG);
    intake.plan = [503, 503, 503, 503];
    const run = await collectOnce(config());
    expect(run.code).toBe(0);
    expect(intake.refusals).toBe(4);
    expect(tally(intake.events)).toEqual(await expectedEvents(org, "Hourly"));
  });

  it("delivers every row at least once after a kill -9 during delivery and a restart", async () => {
    org = await startSimulator(SMALL_ORG);
    const path = config();
    intake.delay(30);
    const { child, done } = startCli(["collect", "--once", "--config", path], env());
    while (intake.acknowledgedBatches < 5) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGKILL");
    expect((await done).signal).toBe("SIGKILL");
    intake.delay(0);

    expect((await collectOnce(path)).code).toBe(0);
    const delivered = tally(intake.events);
    for (const [event, count] of await expectedEvents(org, "Hourly")) {
      expect(delivered.get(event) ?? 0).toBeGreaterThanOrEqual(count);
    }
  });

  it("stops with a clear error when hourly is asked of a daily-only org, and auto picks daily there", async () => {
    org = await startSimulator({ ...SMALL_ORG, org: { hourly: false } });
    const hourly = await collectOnce(config({ interval: "hourly" }));
    expect(hourly.code).toBe(1);
    expect(hourly.stderr).toContain("this org has no hourly Event Log Files");
    expect(hourly.stderr).toContain("Event Monitoring Settings");
    expect(readNdjson(outFile)).toEqual([]);

    const auto = await collectOnce(config({ interval: "auto" }));
    expect(auto.code).toBe(0);
    expect(auto.stderr).toContain("collecting daily Event Log Files");
    expect(tally(readNdjson(outFile))).toEqual(await expectedEvents(org, "Daily"));
  });

  /** Collects a daily org, then again after the org replaced some daily files with their full row sets. */
  async function collectAcrossDailyReplacement(deduplicate: boolean) {
    org = await startSimulator({ ...SMALL_ORG, start: "2026-11-20T04:00:00Z" });
    const path = config({ interval: "daily", deduplicate });
    expect((await collectOnce(path)).code).toBe(0);
    const first = await soql<FileRow>(org, "SELECT Id FROM EventLogFile WHERE Interval = 'Daily'");

    await moveClock(org.url, { advance: "20h" });
    const second = await collectOnce(path);
    expect(second.code).toBe(0);
    const now = new Set(
      (await soql<FileRow>(org, "SELECT Id FROM EventLogFile WHERE Interval = 'Daily'")).map((f) => f.Id),
    );
    expect(first.filter((f) => !now.has(f.Id)).length).toBeGreaterThan(0);
    const repeated = [...second.stderr.matchAll(/"repeatedRows":(\d+)/g)].map((m) => Number(m[1]));
    return { repeated, delivered: tally(readNdjson(outFile)), expected: await expectedEvents(org, "Daily") };
  }

  it("delivers only the new rows of a daily file replaced after its first delivery", async () => {
    const { repeated, delivered, expected } = await collectAcrossDailyReplacement(true);
    expect(Math.max(...repeated)).toBeGreaterThan(0);
    expect(delivered).toEqual(expected);
  });

  it("with deduplicate off, delivers a replaced daily file whole again", async () => {
    const { repeated, delivered, expected } = await collectAcrossDailyReplacement(false);
    expect(repeated.every((n) => n === 0)).toBe(true);
    // Every row at least once, and the replaced files' rows a second time.
    for (const [event, n] of expected) expect(delivered.get(event) ?? 0).toBeGreaterThanOrEqual(n);
    const extra =
      [...delivered.values()].reduce((a, b) => a + b, 0) - [...expected.values()].reduce((a, b) => a + b, 0);
    expect(extra).toBeGreaterThan(0);
  });

  it("never delivers hourly copies in daily mode", async () => {
    org = await startSimulator(SMALL_ORG);
    const run = await collectOnce(config({ interval: "daily" }));
    expect(run.code).toBe(0);
    const daily = await expectedEvents(org, "Daily");
    expect(daily.size).toBeGreaterThan(0);
    expect(tally(readNdjson(outFile))).toEqual(daily);
  });
});
