import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, startCli } from "./harness.js";
import {
  collectorConfig,
  collectorEnv,
  deliveredFiles,
  expectedRows,
  liveStderr,
  logLines,
  seededRandom,
  sleep,
  useFrozenOrg,
  waitFor,
} from "../faults/support.js";

/** What the collector gets after SIGTERM (its own grace is 8 s). */
const EXIT_WITHIN_MS = 10_000;

/**
 * Case 4: SIGTERM to a polling collector, while it delivers (the intake answers slowly, so batches
 * are in flight) and while it sleeps between cycles. Each time it must leave within 10 s with its
 * checkpoint written: every file whose rows the intake had all received before the signal is
 * recorded as delivered, and the next run sends none of those again and loses nothing.
 */
describe("SIGTERM", () => {
  const shared = useFrozenOrg(5, "faults-sigterm");

  it("settles the batch in flight, checkpoints and exits within 10 s; the next run resumes without loss", async () => {
    const { org, intake } = shared;
    const dir = { path: shared.dir };
    const random = seededRandom("SIGTERM");
    const statePath = join(dir.path, "state.sqlite");
    const config = collectorConfig({ dir: dir.path, org, intake, pollEvery: "1h" });
    const env = collectorEnv(org);
    const truth = await expectedRows(org);
    const fileOf = (json: string) => truth.fileOf(json);
    const rowsPerFile = new Map<string, number>();
    for (const [json, count] of truth.counts) {
      const file = fileOf(json);
      if (file) rowsPerFile.set(file, (rowsPerFile.get(file) ?? 0) + count);
    }

    const stops: { delivered: Set<string>; at: number }[] = [];
    // Three stops during delivery (slow intake), then one while the poller sleeps between cycles.
    for (const phase of ["delivering", "delivering", "delivering", "idle"] as const) {
      intake.delay(phase === "delivering" ? 150 : 0);
      const { child, done } = startCli(["collect", "--config", config], env);
      const stderr = liveStderr(child);
      if (phase === "delivering") {
        const batches = intake.stats.batches;
        await waitFor(() => intake.stats.batches > batches, 20_000, "a first batch");
        await sleep(random.int(2000));
      } else {
        await waitFor(() => stderr().includes("cycle done"), 60_000, "a cycle to finish");
      }
      const at = intake.events.length;
      const signalled = Date.now();
      child.kill("SIGTERM");
      const result = await Promise.race([done, sleep(EXIT_WITHIN_MS).then(() => undefined)]);
      if (result === undefined) child.kill("SIGKILL");
      expect(result, `still running ${EXIT_WITHIN_MS} ms after SIGTERM`).toBeDefined();
      const lines = logLines(result!.stderr);
      expect(lines.some((l) => l.msg.startsWith("SIGTERM received"))).toBe(true);
      expect(result!.code, result!.stderr.slice(-1500)).toBe(0);
      console.log(`SIGTERM (${phase}): exited in ${Date.now() - signalled} ms`);

      // Files the intake had entirely before the signal are checkpointed.
      const delivered = deliveredFiles(statePath);
      const received = new Map<string, number>();
      for (const json of intake.events.slice(0, at)) {
        const file = fileOf(json);
        if (file) received.set(file, (received.get(file) ?? 0) + 1);
      }
      const complete = [...received].filter(([file, n]) => n >= (rowsPerFile.get(file) ?? Infinity));
      const notCheckpointed = complete.map(([file]) => file).filter((file) => !delivered.has(file));
      expect(notCheckpointed).toEqual([]);
      stops.push({ delivered, at: intake.events.length });
    }

    intake.delay(0);
    const final = await runCli(["collect", "--once", "--config", config], env);
    expect(final.code, final.stderr.slice(-1500)).toBe(0);
    truth.expectAllAtLeastOnce(intake.events);
    for (const stop of stops) {
      const resent = intake.events.slice(stop.at).filter((json) => stop.delivered.has(fileOf(json) ?? ""));
      expect(resent.slice(0, 3)).toEqual([]);
    }
  });
});
