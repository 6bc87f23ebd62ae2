import { closeSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { sfevents } from "../lib/cli.mjs";
import { measureRuns } from "../lib/measure.mjs";
import { devNull } from "../lib/process.mjs";
import { against, rssBound, throughput } from "../lib/report.mjs";

/**
 * `sfevents replay --format raw|ecs` on the replay files, standard output to /dev/null, on its default
 * threads (one per core the process may use; the line says how many).
 */

/** Issue 11's targets, against the one-thread uDSV ceiling of parse-only. */
const MIN_RATIO = { raw: 0.6, ecs: 0.35 };
export const MAX_RSS_MB = 200;

export function replay(format) {
  return async (context) => {
    const data = await context.replayFiles();
    const deadLetters = join(context.tmpDir, `replay-${format}-dead-letters.ndjson`);
    const out = devNull();
    const run = await measureRuns({
      what: `replay-${format}`,
      runs: context.options.runs,
      log: context.log,
      command: process.execPath,
      args: sfevents(context, `replay-${format}`, "replay", [
        "replay",
        "--format",
        format,
        "--dead-letter",
        deadLetters,
        ...data.files.map((f) => f.path),
      ]),
      stdout: out,
      figures: (result) => ({ rows: replayedRows(result.stderr), bytes: data.bytes }),
    }).finally(() => closeSync(out));
    const baseline = context.results.get("parse-only");
    if (baseline !== undefined && baseline.rows !== run.rows) {
      context.log(`  warning: replay-${format} read ${run.rows} rows, parse-only ${baseline.rows}`);
    }
    const line = throughput(`replay-${format}`, run, {
      files: data.files.length,
      threads: availableParallelism(),
    });
    return rssBound(against(line, baseline, MIN_RATIO[format]), MAX_RSS_MB);
  };
}

/** The count replay prints on standard error: "sfevents replay: 6,502,875 rows, 0 dead letters, 18 files". */
function replayedRows(stderr) {
  const match = /sfevents replay: ([\d,]+) rows?/.exec(stderr);
  if (match === null) throw new Error(`replay printed no summary line:\n${stderr.trim()}`);
  return Number(match[1].replace(/,/g, ""));
}
