import { collectOnce } from "../lib/collect.mjs";
import { round } from "../lib/report.mjs";
import { currentHour } from "../lib/services.mjs";

/**
 * A burst of a million ApiEvent rows stored in one minute, collected by the objects source into the
 * intake: one window that a collector holding its window would hold whole. Pages stream to the
 * output, so the collector's memory must not grow with the window (issue 9: peak RSS < 200 MB).
 */

const ROWS = 1_000_000;
const MAX_COLLECTOR_RSS_MB = 200;
const HOUR_MS = 3_600_000;

export async function collectObjectsBurst(context) {
  const rows = Math.max(10_000, Math.round(ROWS * context.options.scale));
  const start = currentHour();
  const burstAt = new Date(start.getTime() - 2 * HOUR_MS);
  const scenario = {
    seed: context.options.seed,
    start: start.toISOString(),
    days: 1,
    clock: { running: false },
    org: { event_types: ["API"] },
    api: { daily_limit: 1_000_000 },
    // Only the burst: the organic rows of the hour would blur what is measured.
    objects: {
      rows_per_hour: { ApiEvent: 0 },
      bursts: [{ object: "ApiEvent", rows, at: burstAt.toISOString(), span: "1m" }],
    },
  };
  const run = await collectOnce(context, "collect-objects-burst", {
    scenario,
    sources: {
      objects: {
        types: ["ApiEvent"],
        start: new Date(burstAt.getTime() - HOUR_MS).toISOString(),
        window: "1h",
      },
    },
  });
  const received = run.intake.received.events;
  const peak = round(run.collector.peakRssMb, 1);
  context.log(
    `  collect-objects-burst: ${received} of ${rows} rows in ${run.collector.seconds.toFixed(1)} s, peak RSS ${peak} MB`,
  );
  return {
    scenario: "collect-objects-burst",
    rows: received,
    burst_rows: rows,
    seconds: round(run.collector.seconds, 2),
    rows_per_s: round(received / run.collector.seconds, 0),
    peak_rss_mb: peak,
    simulator_peak_rss_mb: round(run.simulator.peakRssMb, 1),
    target: `every burst row delivered; collector peak RSS < ${MAX_COLLECTOR_RSS_MB} MB`,
    met: received === rows && run.collector.peakRssMb < MAX_COLLECTOR_RSS_MB,
  };
}
