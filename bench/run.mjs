import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH_DIR, replayFiles } from "./lib/data.mjs";
import { benchOptions } from "./lib/options.mjs";
import { table } from "./lib/report.mjs";
import { summary } from "./profile.mjs";
import { catchUp, collectE2e } from "./scenarios/collect.mjs";
import { collectObjectsBurst } from "./scenarios/collect-objects-burst.mjs";
import { fleet } from "./scenarios/fleet.mjs";
import { parseOnly } from "./scenarios/parse-only.mjs";
import { replay } from "./scenarios/replay.mjs";
import { simulatorObjectsBurst } from "./scenarios/simulator-objects-burst.mjs";
import { simulatorStream } from "./scenarios/simulator-stream.mjs";
import { streamLatency } from "./scenarios/stream-latency.mjs";

/**
 * `npm run bench`: every scenario in order (later ones are judged against earlier ones), one JSON
 * line each on standard output as it ends, then the table of targets. Progress goes to standard error.
 */

const SCENARIOS = [
  ["parse-only", parseOnly],
  ["replay-raw", replay("raw")],
  ["replay-ecs", replay("ecs")],
  ["collect-e2e", collectE2e],
  ["catch-up", catchUp],
  ["simulator-stream", simulatorStream(false)],
  ["simulator-stream-gzip", simulatorStream(true)],
  ["simulator-objects-burst", simulatorObjectsBurst],
  ["collect-objects-burst", collectObjectsBurst],
  ["stream-latency", streamLatency],
  ["fleet", fleet],
];

const log = (text) => process.stderr.write(`${text}\n`);

let options;
try {
  options = benchOptions();
} catch (err) {
  log(`bench: ${err.message}`);
  process.exit(2);
}
const known = SCENARIOS.map(([name]) => name);
const unknown = options.only.filter((name) => !known.includes(name));
if (unknown.length > 0) {
  log(`bench: unknown scenario ${unknown.join(", ")}; pick among ${known.join(", ")}.`);
  process.exit(2);
}

// Configurations, scenarios, state databases: this run's own, so two runs never share them.
const tmpDir = mkdtempSync(join(tmpdir(), "sfevents-bench-"));
const profileDir = join(BENCH_DIR, "profiles");
if (options.profile) {
  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });
}
// The latest line of every scenario at this scale and seed, so that one scenario run alone is still
// judged against its baseline.
const resultsPath = join(BENCH_DIR, "results.json");
const earlier = existsSync(resultsPath) ? JSON.parse(readFileSync(resultsPath, "utf8")) : {};
const resultsKey = `scale ${options.scale}, seed ${options.seed}`;
let replayData;
const context = {
  options,
  log,
  tmpDir,
  profileDir,
  results: new Map(Object.entries(earlier[resultsKey] ?? {})),
  replayFiles: () => {
    replayData ??= replayFiles(options.seed, options.bytes, log);
    return replayData;
  },
};

log(
  `bench: ${options.runs} run(s) per scenario, scale ${options.scale}, seed ${options.seed}; ` +
    `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, Node ${process.version}`,
);
const lines = [];
for (const [name, run] of SCENARIOS) {
  if (options.only.length > 0 && !options.only.includes(name)) continue;
  log(`bench: ${name}`);
  let line;
  try {
    line = await run(context);
    // The machine's load over the last 5 minutes: other work on it slows every figure.
    line = { ...line, load_5m: Math.round(loadavg()[1] * 100) / 100, measured_at: new Date().toISOString() };
  } catch (err) {
    line = { scenario: name, error: err instanceof Error ? err.message : String(err) };
  }
  context.results.set(name, line);
  lines.push(line);
  if (line.error === undefined) {
    mkdirSync(BENCH_DIR, { recursive: true });
    earlier[resultsKey] = Object.fromEntries(context.results);
    writeFileSync(resultsPath, JSON.stringify(earlier, null, 2));
  }
  process.stdout.write(`${JSON.stringify(line)}\n`);
  if (options.profile) logProfiles(join(profileDir, name));
}
rmSync(tmpDir, { recursive: true, force: true });
process.stdout.write(`\n${table(lines)}\n`);
if (lines.some((line) => line.error !== undefined)) process.exitCode = 1;

/** The top self-time functions of each profile a scenario wrote, on standard error. */
function logProfiles(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { recursive: true })) {
    if (entry.endsWith(".cpuprofile")) log(summary(join(dir, entry)));
  }
}
