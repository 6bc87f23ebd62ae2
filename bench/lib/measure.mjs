import { launch, succeeded } from "./process.mjs";
import { medianRun } from "./report.mjs";

/**
 * Runs one measured command `runs` times, each in a fresh process, and keeps the median run.
 * `figures(result)` reads what the process itself reports (rows, bytes) from its output.
 */
export async function measureRuns({ what, runs, log, command, args, stdout, figures }) {
  const results = [];
  for (let i = 1; i <= runs; i++) {
    const result = await succeeded(launch(command, args, { stdout }), what);
    const run = { ...result, ...figures(result) };
    log(`  ${what}: run ${i}/${runs}, ${run.seconds.toFixed(2)} s, peak RSS ${run.peakRssMb.toFixed(0)} MB`);
    results.push(run);
  }
  return medianRun(results);
}
