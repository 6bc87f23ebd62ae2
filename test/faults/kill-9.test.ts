import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { moveClock, readNdjson, runCli, startCli } from "../integration/harness.js";
import {
  collectorConfig,
  collectorEnv,
  deliveredFiles,
  expectedRows,
  type GroundTruth,
  seededRandom,
  sleep,
  THREADED_FILES,
  useFrozenOrg,
  withWorkLeft,
} from "./support.js";

const KILLS = 20;

/**
 * Case 1 of the fault suite: kill -9 the real CLI at 20 random moments (while it starts, discovers,
 * streams, waits for the intake, writes its checkpoint) and restart it each time, in polling mode or
 * with --once, while the org keeps publishing new files.
 *
 * What "only the files in flight are duplicated" means here, checked exactly:
 * - After kill k, the state database says which files were checkpointed (D_k), and the intake has
 *   received its first n_k events. A file is "in flight at kill k" when the intake received some of
 *   its rows during run k (events n_{k-1}..n_k) and it is not in D_k.
 * - A file in D_k is never sent again: no row of it arrives after n_k.
 * - A row arrives at most (1 + the number of kills its file was in flight at) times its multiplicity:
 *   each run sends a file at most once, and only a run killed before the file's checkpoint can be
 *   followed by another run sending it again.
 * - In the end every row the org published has arrived at least once, and nothing else arrived.
 * A batch the killed process had fully sent may be counted by the intake just after the process died;
 * it then counts toward run k+1, which only widens "in flight at k+1" (it cannot belong to a file in
 * D_k, whose batches were all acknowledged before its checkpoint).
 */
describe("kill -9 at random moments", () => {
  // Its two large files are decoded on a worker thread: a kill may find rows held there.
  const shared = useFrozenOrg(11, "faults-kill9", THREADED_FILES);

  it("delivers every row at least once, and re-sends only files that were in flight at a kill", async () => {
    const { org, intake } = shared;
    const dir = { path: shared.dir };
    const random = seededRandom("kill -9");
    const outFile = join(dir.path, "out", "events.ndjson");
    const statePath = join(dir.path, "state.sqlite");
    const config = collectorConfig({ dir: dir.path, org, intake, outFile, pollEvery: "1s" });
    const env = collectorEnv(org);

    const kills: { delivered: Set<string>; from: number; to: number }[] = [];
    let self = 0;
    let known: GroundTruth | undefined;
    let nothingLeft = 0;
    for (let k = 0; k < KILLS; k++) {
      if (random.next() < 0.3) {
        await moveClock(org.url, { advance: `${1 + random.int(3)}h` });
        known = undefined;
      }
      // A kill moment is meant to find work under way: when the runs before it delivered every
      // file, the org publishes more first.
      const work = await withWorkLeft(org, statePath, known);
      known = work.truth;
      if (work.hours > 0) nothingLeft++;
      const once = random.next() < 0.5;
      const from = intake.events.length;
      const { child, done } = startCli(["collect", ...(once ? ["--once"] : []), "--config", config], env);
      const moment = 150 + random.int(3500);
      const exited = await Promise.race([done.then(() => true), sleep(moment).then(() => false)]);
      if (exited) {
        // A --once run that finished before its moment: not a kill; the next iteration moves on.
        self++;
        expect((await done).code).toBe(0);
        k--;
        if (self > KILLS)
          throw new Error("the collector keeps finishing before the kill; the run is too short");
        continue;
      }
      child.kill("SIGKILL");
      expect((await done).signal).toBe("SIGKILL");
      await sleep(200); // a batch fully sent before the kill may still be counted by the intake
      kills.push({ delivered: deliveredFiles(statePath), from, to: intake.events.length });
    }

    const final = await runCli(["collect", "--once", "--config", config], env);
    expect(final.code, final.stderr.slice(-2000)).toBe(0);

    const truth = known ?? (await expectedRows(org));
    const extra = truth.expectAllAtLeastOnce(intake.events);
    const events = intake.events;
    const fileOf = (json: string) => truth.fileOf(json);
    const inFlightAt = new Map<string, number>();
    for (const [k, kill] of kills.entries()) {
      const sentDuringRun = new Set<string>();
      for (let i = kill.from; i < kill.to; i++) {
        const file = fileOf(events[i]);
        if (file) sentDuringRun.add(file);
      }
      for (const file of sentDuringRun) {
        if (!kill.delivered.has(file)) inFlightAt.set(file, (inFlightAt.get(file) ?? 0) + 1);
      }
      const resentAfterCheckpoint = events
        .slice(kill.to)
        .filter((json) => kill.delivered.has(fileOf(json) ?? ""))
        .map((json) => `${fileOf(json)} after kill ${k}`);
      expect(resentAfterCheckpoint.slice(0, 3)).toEqual([]);
    }
    const overDelivered = [...extra].filter(([json, surplus]) => {
      const file = fileOf(json);
      if (file === undefined) return false;
      return surplus > (truth.counts.get(json) ?? 0) * (inFlightAt.get(file) ?? 0);
    });
    expect(overDelivered.slice(0, 3)).toEqual([]);
    console.log(
      `kill -9: ${kills.length} kills, ${self} run(s) ended on their own, ${truth.rows} rows, ` +
        `${events.length - truth.rows} duplicates from ${inFlightAt.size} file(s) in flight at a kill, ` +
        `${nothingLeft} time(s) nothing was left to deliver before a kill`,
    );

    // The file output went through the same kills: no torn line, every row there too.
    const lines = readNdjson(outFile);
    const torn = lines.filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
    expect(torn.slice(0, 3)).toEqual([]);
    truth.expectAllAtLeastOnce(lines);
  });
});
