/**
 * What a benchmark run is asked to do, from the environment and the command line:
 *   BENCH_RUNS   runs of each scenario, the median reported (default 3)
 *   BENCH_SCALE  a factor on every size, e.g. 0.05 for a quick try (default 1: 2 GB, 30 days)
 *   BENCH_SEED   the simulated org's seed (default 1)
 *   BENCH_THREADS  the collector's `threads:` setting (default: not set, the collector's own default)
 *   BENCH_PROFILE=1  a CPU profile of every measured sfevents process, summarised after each scenario
 *                (profiling slows the runs: take figures from a run without it)
 *   node bench/run.mjs [scenario ...]   only these scenarios (and none of the others)
 */

export const FULL_BYTES = 2 * 1024 ** 3;

export function benchOptions(env = process.env, argv = process.argv.slice(2)) {
  const runs = positive(env.BENCH_RUNS ?? "3", "BENCH_RUNS", Number.isInteger);
  const scale = positive(env.BENCH_SCALE ?? "1", "BENCH_SCALE", (n) => n <= 1);
  const seed = positive(env.BENCH_SEED ?? "1", "BENCH_SEED", Number.isInteger);
  const profile = env.BENCH_PROFILE !== undefined && env.BENCH_PROFILE !== "" && env.BENCH_PROFILE !== "0";
  const threads =
    env.BENCH_THREADS === undefined || env.BENCH_THREADS === ""
      ? undefined
      : whole(env.BENCH_THREADS, "BENCH_THREADS");
  return { runs, scale, seed, profile, threads, only: argv, bytes: Math.round(FULL_BYTES * scale) };
}

function whole(text, name) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name}=${text} is not valid: give a whole number, 0 or more.`);
  return n;
}

function positive(text, name, check) {
  const n = Number(text);
  if (!(n > 0) || !check(n)) {
    throw new Error(`${name}=${text} is not valid: give a positive number (BENCH_SCALE at most 1).`);
  }
  return n;
}
