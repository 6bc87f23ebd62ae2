import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/simulator/server/index.js";
import { FakeIntake } from "../support/intake.js";
import {
  INTAKE_KEY,
  collectorConfig,
  collectorEnv,
  expectNoStackTrace,
  expectedRows,
  logLines,
  type Org,
} from "../faults/support.js";
import { addFault, faultsFired, runCli, tempDir } from "./harness.js";

/** Room for an empty state database, not for the fingerprints of two days of rows. */
const STATE_LIMIT_KIB = 256;

/** The simulator's request counts per route (/__sim/stats). */
async function requests(org: Org): Promise<Record<string, number>> {
  const stats = (await (await fetch(`${org.url}/__sim/stats`)).json()) as {
    requests: Record<string, number>;
  };
  return stats.requests;
}

/** Two days of a simulated org whose clock moves only when a test moves it. */
const frozenOrg = (more: { query?: { max_page_size: number } } = {}) =>
  startSimulator({ seed: 9, days: 2, start: "2026-11-20T15:00:00Z", clock: { running: false }, ...more });

/** What ends a cycle at once, and what a cycle recovers from by itself. */
describe("a collection cycle", () => {
  let org: Org;
  let intake: FakeIntake;
  let dir: ReturnType<typeof tempDir>;

  beforeEach(async () => {
    dir = tempDir("faults-cycle");
    intake = await FakeIntake.start({ intakeKey: INTAKE_KEY });
  });
  afterEach(async () => {
    await intake.close();
    await org?.close();
    dir.remove();
  });

  it("runs the listing again when a query locator expires between pages, in the same cycle", async () => {
    org = await frozenOrg({ query: { max_page_size: 100 } });
    await addFault(org.url, { type: "query-locator-expired", nth: 2 });
    const config = collectorConfig({ dir: dir.path, org, intake });
    const result = await runCli(["collect", "--once", "--config", config], collectorEnv(org));
    expect(result.code, result.stderr.slice(-1500)).toBe(0);
    expect(await faultsFired(org.url)).toEqual([1]);
    expect(logLines(result.stderr).some((l) => /query locator/i.test(l.msg))).toBe(true);
    const truth = await expectedRows(org);
    truth.expectAllAtLeastOnce(intake.events);
  });

  it("ends at once, with its message, when the state cannot be written", async () => {
    org = await frozenOrg();
    const config = collectorConfig({ dir: dir.path, org, intake });
    const result = await runCli(["collect", "--once", "--config", config], collectorEnv(org), {
      fileSizeKib: STATE_LIMIT_KIB,
    });
    expect(result.code, result.stderr.slice(-1500)).toBe(1);
    expect(result.stderr).toMatch(/state database .*state\.sqlite/);
    expectNoStackTrace(result.stderr);
    const listed = (await expectedRows(org)).files;
    // Each file at most once, not again and again 1 s, 2 s apart; and the cycle stops early.
    const downloads = (await requests(org)).download ?? 0;
    expect(downloads).toBeLessThan(new Set([...listed.values()].flatMap((s) => [...s])).size);
    const errors = logLines(result.stderr).filter((l) => l.level === "error" || l.level === "fatal");
    expect(errors.length, errors.map((l) => l.msg).join("\n")).toBeLessThanOrEqual(2);

    // Space again: nothing was lost.
    const rerun = await runCli(["collect", "--once", "--config", config], collectorEnv(org));
    expect(rerun.code, rerun.stderr.slice(-1500)).toBe(0);
    (await expectedRows(org)).expectAllAtLeastOnce(intake.events);
  });
});
