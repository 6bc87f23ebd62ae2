import { collectOnce } from "../lib/collect.mjs";
import { eventTypes, split } from "../lib/data.mjs";
import { medianRun, round, against, rssBound, throughput } from "../lib/report.mjs";
import { currentHour } from "../lib/services.mjs";
import { MAX_RSS_MB } from "./replay.mjs";

/**
 * collect-e2e: the replay scenarios' volume spread over many hourly files, collected over loopback
 * with gzip into the intake. catch-up: a month of small hourly files, files per second, and which
 * process was the limit.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const FILES_PER_TYPE = 8;
/** Login drives the simulated sessions (and so Logout): kept at a trickle, and not collected. */
const SESSION_TYPES = ["Login", "Logout"];
/** The rarest types, left out so that nearly every hour of the 16 others has a file. */
const RARE_TYPES = ["LoginAs", "ApexUnexpectedException"];
const CATCH_UP_DAYS = 30;

export async function collectE2e(context) {
  const { bytes, runs, seed } = context.options;
  const types = eventTypes().filter((t) => !SESSION_TYPES.includes(t));
  const sizes = split(bytes, types.length * FILES_PER_TYPE);
  const start = currentHour();
  const scenario = {
    seed,
    start: start.toISOString(),
    days: 1,
    org: {
      // Only the declared files, so the collector's work is exactly `bytes`.
      rows_per_hour: Object.fromEntries(eventTypes().map((t) => [t, t === "Login" ? 1 : 0])),
      large_files: sizes.map((size, i) => ({
        event_type: types[Math.floor(i / FILES_PER_TYPE)],
        bytes: size,
        interval: "Hourly",
      })),
    },
  };
  const results = [];
  for (let i = 1; i <= runs; i++) {
    // Declared hourly files are all published an hour before the org's start.
    const run = await collectOnce(context, "collect-e2e", {
      scenario,
      eventTypes: types,
      start: new Date(start - 2 * HOUR_MS),
    });
    results.push(figures(context, run, bytes));
    context.log(
      `  collect-e2e: run ${i}/${runs}, ${run.collector.seconds.toFixed(2)} s, peak RSS ${run.collector.peakRssMb.toFixed(0)} MB`,
    );
  }
  const median = medianRun(results);
  const line = throughput("collect-e2e", median, details(context, median));
  return rssBound(against(line, context.results.get("replay-raw"), 0.7), MAX_RSS_MB);
}

export async function catchUp(context) {
  const { runs, scale, seed } = context.options;
  const days = Math.max(1, Math.round(CATCH_UP_DAYS * scale));
  const types = eventTypes().filter((t) => !RARE_TYPES.includes(t));
  const start = currentHour();
  // History reaches back past the window, so its first hours have their files. The allowance is an
  // Enterprise org's 100,000 calls a day: at the simulator's default (a Developer Edition's 15,000)
  // the 12,000 downloads pass 80% of it, and the collector rightly spaces its calls out, which is
  // not what this scenario measures.
  const scenario = { seed, start: start.toISOString(), days: days + 1, api: { daily_limit: 100_000 } };
  const results = [];
  for (let i = 1; i <= runs; i++) {
    const run = await collectOnce(context, "catch-up", {
      scenario,
      eventTypes: types,
      start: new Date(start - days * DAY_MS),
    });
    results.push(figures(context, run, 0));
    context.log(
      `  catch-up: run ${i}/${runs}, ${run.report.delivered} files in ${run.collector.seconds.toFixed(2)} s`,
    );
  }
  const median = medianRun(results);
  const limit = median.cpu.simulator >= median.cpu.collector ? "simulator" : "collector";
  return rssBound(
    {
      scenario: "catch-up",
      days,
      event_types: types.length,
      files: median.files,
      rows: median.rows,
      seconds: round(median.seconds, 2),
      files_per_s: round(median.files / median.seconds, 1),
      peak_rss_mb: round(median.peakRssMb, 1),
      runs: median.allSeconds,
      ...details(context, median),
      limit,
      target: "limited by the simulator",
      met: limit === "simulator",
    },
    MAX_RSS_MB,
  );
}

/**
 * A run's figures: the collector's, with the other processes' CPU time beside it. Rows are those the
 * intake acknowledged; the collector's own count must agree.
 */
function figures(context, run, bytes) {
  const rows = run.intake.received.events;
  if (rows !== run.report.rows) {
    context.log(
      `  warning: the intake received ${rows} events, the collector reports ${run.report.rows} rows`,
    );
  }
  return {
    ...run.collector,
    rows,
    bytes,
    files: run.report.delivered,
    // Discovery pages: the first query and every nextRecordsUrl followed.
    queries: (run.served.requests.query ?? 0) + (run.served.requests.queryMore ?? 0),
    cpu: {
      collector: run.collector.cpuSeconds,
      simulator: run.simulator.cpuSeconds,
      intake: run.intake.cpuSeconds,
    },
    simulatorPeakRssMb: run.simulator.peakRssMb,
  };
}

function details(context, run) {
  const share = (cpu) => round(cpu / run.seconds, 2);
  return {
    files: run.files,
    queries: run.queries,
    // The collector's `threads:`; "default" is one fewer than the cores, at most 4 (src/app/threads.ts).
    threads: context.options.threads ?? "default",
    cpu_s: Object.fromEntries(Object.entries(run.cpu).map(([k, v]) => [k, round(v, 1)])),
    // CPU seconds per second of the collector's run: 1.0 is one core busy the whole time.
    cpu_share: Object.fromEntries(Object.entries(run.cpu).map(([k, v]) => [k, share(v)])),
    simulator_peak_rss_mb: round(run.simulatorPeakRssMb, 1),
  };
}
