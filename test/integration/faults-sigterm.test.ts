import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, startCli } from "./harness.js";
import {
  collectorConfig,
  collectorEnv,
  deliveredFiles,
  expectedRows,
  faultsSeed,
  liveStderr,
  logLines,
  seededRandom,
  sleep,
  useFrozenOrg,
  waitFor,
  withWorkLeft,
} from "../faults/support.js";

/** What the collector gets after SIGTERM (its own grace is 8 s). */
const EXIT_WITHIN_MS = 10_000;

/**
 * Seeds that once exposed a weakness, run every time beside the default seed (or FAULTS_SEED).
 * 854953520: its first two stops came late enough to deliver every file, and the third waited for
 * a batch that never came; a stop now lands within the rows left, after publishing more if none are.
 */
const KEPT_SEEDS = [854953520];

/**
 * Case 4: SIGTERM to a polling collector, while it delivers (the intake answers slowly, so batches
 * are in flight) and while it sleeps between cycles. Each time it must leave within 10 s with its
 * checkpoint written: every file whose rows the intake had all received before the signal is
 * recorded as delivered, and the next run sends none of those again and loses nothing.
 */
describe.each([...new Set([faultsSeed(), ...KEPT_SEEDS])])("SIGTERM, seed %i", (seed) => {
  const shared = useFrozenOrg(5, `faults-sigterm-${seed}`);

  it("settles the batch in flight, checkpoints and exits within 10 s; the next run resumes without loss", async () => {
    const { org, intake } = shared;
    const dir = { path: shared.dir };
    const random = seededRandom("SIGTERM", seed);
    const statePath = join(dir.path, "state.sqlite");
    const config = collectorConfig({ dir: dir.path, org, intake, pollEvery: "1h" });
    const env = collectorEnv(org);

    let truth = await expectedRows(org);
    const stops: { delivered: Set<string>; at: number }[] = [];
    // Three stops during delivery (slow intake), then one while the poller sleeps between cycles.
    for (const phase of ["delivering", "delivering", "delivering", "idle"] as const) {
      const work = phase === "delivering" ? await withWorkLeft(org, statePath, truth) : undefined;
      truth = work?.truth ?? truth;
      // A delivering stop lands once a seeded share of the rows left has arrived: the run sends at
      // least those, so the stop always finds a delivery under way.
      const from = intake.events.length;
      const stopAfter = work && from + 1 + random.int(work.left);
      intake.delay(work ? 150 : 0);
      const { child, done } = startCli(["collect", "--config", config], env);
      const stderr = liveStderr(child);
      if (stopAfter)
        await waitFor(() => intake.events.length >= stopAfter, 60_000, `${stopAfter} events at the intake`);
      else await waitFor(() => stderr().includes("cycle done"), 60_000, "a cycle to finish");
      const at = intake.events.length;
      const signalled = Date.now();
      child.kill("SIGTERM");
      const result = await Promise.race([done, sleep(EXIT_WITHIN_MS).then(() => undefined)]);
      if (result === undefined) child.kill("SIGKILL");
      expect(result, `still running ${EXIT_WITHIN_MS} ms after SIGTERM`).toBeDefined();
      const lines = logLines(result!.stderr);
      expect(lines.some((l) => l.msg.startsWith("SIGTERM received"))).toBe(true);
      expect(result!.code, result!.stderr.slice(-1500)).toBe(0);
      console.log(`SIGTERM (${phase}, ${work?.left ?? 0} rows left): exited in ${Date.now() - signalled} ms`);

      // Files the intake had entirely from this run before the signal are checkpointed (a run
      // sends a file whole, so rows an earlier run sent do not count toward this run's files).
      const delivered = deliveredFiles(statePath);
      const received = new Map<string, number>();
      for (const json of intake.events.slice(from, at)) {
        const file = truth.fileOf(json);
        if (file) received.set(file, (received.get(file) ?? 0) + 1);
      }
      const complete = [...received].filter(([file, n]) => n >= (truth.rowsPerFile.get(file) ?? Infinity));
      const notCheckpointed = complete.map(([file]) => file).filter((file) => !delivered.has(file));
      expect(notCheckpointed).toEqual([]);
      stops.push({ delivered, at: intake.events.length });
    }

    intake.delay(0);
    const final = await runCli(["collect", "--once", "--config", config], env);
    expect(final.code, final.stderr.slice(-1500)).toBe(0);
    truth.expectAllAtLeastOnce(intake.events);
    for (const stop of stops) {
      const resent = intake.events
        .slice(stop.at)
        .filter((json) => stop.delivered.has(truth.fileOf(json) ?? ""));
      expect(resent.slice(0, 3)).toEqual([]);
    }
  }, 180_000); // reading the org's rows again after each move of its clock takes seconds on a busy machine
});
