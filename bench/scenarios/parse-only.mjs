import { fileURLToPath } from "node:url";
import { measureRuns } from "../lib/measure.mjs";
import { throughput } from "../lib/report.mjs";

/** Both parsers on the replay files; the faster one is the baseline every ratio refers to. */

const CHILD = fileURLToPath(new URL("../parse-only.mjs", import.meta.url));
const PARSERS = ["udsv", "csv-simple-parser"];

export async function parseOnly(context) {
  const data = await context.replayFiles();
  const paths = data.files.map((f) => f.path);
  const lines = [];
  for (const parser of PARSERS) {
    const run = await measureRuns({
      what: `parse-only (${parser})`,
      runs: context.options.runs,
      log: context.log,
      command: process.execPath,
      args: [CHILD, parser, ...paths],
      figures: (result) => ({ rows: JSON.parse(result.stdout).rows, bytes: data.bytes }),
    });
    lines.push(throughput("parse-only", run, { parser, files: paths.length }));
  }
  const best = lines.reduce((a, b) => (b.rows_per_s > a.rows_per_s ? b : a));
  return {
    ...best,
    compared: Object.fromEntries(lines.map((l) => [l.parser, { rows_per_s: l.rows_per_s, rows: l.rows }])),
  };
}
