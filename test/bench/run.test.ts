import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/**
 * A smoke run of `npm run bench` at a tiny scale: the harness generates its files, runs the baseline
 * and the replay in their own processes, and reports figures that agree with each other. No timing is
 * judged here; speed belongs to the benchmark itself.
 */

const run = promisify(execFile);

describe("bench/run.mjs", () => {
  it("prints one JSON line per scenario, then a table with each target", async () => {
    const { stdout } = await run(process.execPath, ["bench/run.mjs", "parse-only", "replay-raw"], {
      env: { ...process.env, BENCH_SCALE: "0.0005", BENCH_RUNS: "1", BENCH_PROFILE: "" },
    });
    const lines = stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.scenario)).toEqual(["parse-only", "replay-raw"]);
    const [parseOnly, replayRaw] = lines;
    expect(parseOnly.error).toBeUndefined();
    expect(replayRaw.error).toBeUndefined();
    // Both read the same generated files: every row the baseline counts, replay must print.
    expect(parseOnly.rows).toBeGreaterThan(1000);
    expect(replayRaw.rows).toBe(parseOnly.rows);
    expect(replayRaw.bytes).toBe(parseOnly.bytes);
    expect(replayRaw.baseline).toBe("parse-only");
    expect(replayRaw.ratio).toBeCloseTo(replayRaw.rows_per_s / parseOnly.rows_per_s, 2);
    expect(replayRaw.peak_rss_mb).toBeGreaterThan(0);
    expect(stdout).toMatch(/replay-raw\s+ratio\s.*≥ 0\.6 of parse-only\s+(yes|NO)/);
    expect(stdout).toMatch(/replay-raw\s+peak RSS\s.*< 200 MB\s+(yes|NO)/);
  });

  it("refuses an unknown scenario by name, listing the known ones", async () => {
    const failure = await run(process.execPath, ["bench/run.mjs", "replay-fast"]).catch((err) => err);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toContain("unknown scenario replay-fast");
    expect(failure.stderr).toContain("collect-e2e");
  });
});
