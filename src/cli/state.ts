import { Command } from "commander";
import { loadStateSettings } from "../config/load.js";
import { ExplainedError } from "../core/errors.js";
import { count } from "../observability/count.js";
import { cursorAt, readCursor } from "../sources/event-log-files/cursor.js";
import { windowCheckpoint } from "../sources/objects/windows.js";
import { rewoundStream } from "../sources/streams/checkpoint.js";
import {
  openState,
  type SourceSummary,
  type StateLocation,
  stateName,
  summarizeState,
} from "../state/index.js";

// With several orgs, a source id starts with its org's name: acme/event_log_files:hourly.
const ELF_SOURCE = /^([a-z0-9_-]+\/)?event_log_files:/;
const OBJECT_SOURCE = /^([a-z0-9_-]+\/)?objects:/;
const STREAM_SOURCE = /^([a-z0-9_-]+\/)?streams:/;

export function command(): Command {
  const state = new Command().description(
    "Read the state (checkpoints, delivered files), or collect again from a point.",
  );
  state
    .command("show")
    .description(
      "Print, per source, the checkpoint, the delivered units and the fingerprints kept. Read-only.",
    )
    .requiredOption("-c, --config <file>", "the YAML configuration file (its state section is read)")
    .option("--json", "one JSON document instead of text")
    .action(async (options: { config: string; json?: boolean }) => {
      const summary = await summarizeState(loadStateSettings(options.config));
      if (options.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      const out = [
        `State database ${"path" in summary ? summary.path : summary.url} (${megabytes(summary.bytes)})`,
      ];
      if (summary.sources.length === 0) out.push("  nothing delivered yet");
      for (const s of summary.sources) out.push(...describeSource(s));
      process.stdout.write(`${out.join("\n")}\n`);
    });
  state
    .command("rewind")
    .description(
      "Collect a source again from an instant: forget its units delivered from then on and move its checkpoint back. Prints what it would do; --yes does it. Refused while a collector holds an SQLite state; on PostgreSQL, stop the collectors first.",
    )
    .requiredOption("-c, --config <file>", "the YAML configuration file (its state section is changed)")
    .requiredOption(
      "--source <id>",
      "the source, as `state show` names it (e.g. event_log_files:hourly, or acme/event_log_files:hourly for the org acme)",
    )
    .requiredOption("--to <instant>", "an ISO date-time such as 2026-11-20T00:00:00Z")
    .option("--yes", "do it (without it, only say what would change)")
    .action(async (options: { config: string; source: string; to: string; yes?: boolean }) => {
      process.stdout.write(`${await rewind(loadStateSettings(options.config), options)}\n`);
    });
  return state;
}

async function rewind(
  location: StateLocation,
  options: { source: string; to: string; yes?: boolean },
): Promise<string> {
  const to = new Date(options.to);
  if (!/^\d{4}-\d\d-\d\dT/.test(options.to) || Number.isNaN(to.getTime()))
    throw new ExplainedError(
      `--to ${options.to} is not an ISO date-time such as 2026-11-20T00:00:00Z.`,
      "stop",
    );
  const kind = ELF_SOURCE.test(options.source)
    ? { units: "delivered file", checkpoint: cursorAt({ CreatedDate: to.toISOString(), Id: "" }) }
    : OBJECT_SOURCE.test(options.source)
      ? { units: "delivered window", checkpoint: windowCheckpoint({ from: to, to }) }
      : STREAM_SOURCE.test(options.source)
        ? // A stream cannot replay from an instant: it resumes at its newest event, and the span since
          // `to` is read from its storage object, as a gap is.
          { units: "delivered segment", checkpoint: rewoundStream(to) }
        : undefined;
  if (kind === undefined)
    throw new ExplainedError(
      `--source ${options.source}: only Event Log File sources (event_log_files:hourly, event_log_files:daily), objects (objects:LoginEvent, ...) and streams (streams:LoginEventStream, ...) can be rewound.`,
      "stop",
    );
  // Opened as a collector opens it: a collector holding the state makes this fail with that message.
  const store = await openState(location);
  try {
    if (
      (await store.checkpoint(options.source)) === undefined &&
      (await store.unitsFrom(options.source, new Date(0))) === 0
    )
      throw new ExplainedError(
        `The state ${await stateName(location)} holds nothing of ${options.source}; \`sfevents state show\` lists its sources.`,
        "stop",
      );
    const forgotten = await store.unitsFrom(options.source, to);
    const what = `${options.source}: forget ${count(forgotten, kind.units)} positioned at or after ${to.toISOString()} and move the checkpoint to ${to.toISOString()}; the next collect delivers them again, and everything since`;
    if (!options.yes) return `Would ${what}.\nRun again with --yes to do it.`;
    await store.rewind(options.source, to, kind.checkpoint);
    return `Done: ${what}.`;
  } finally {
    await store.close();
  }
}

function describeSource(s: SourceSummary): string[] {
  const lines = [s.source];
  if (s.checkpoint === undefined) lines.push("  checkpoint        none (a first run starts at the lookback)");
  else if (ELF_SOURCE.test(s.source)) {
    const cursor = readCursor(s.checkpoint, s.source);
    lines.push(
      `  checkpoint        CreatedDate ${cursor.createdDate}, Id ${cursor.id || "-"} (moved ${s.checkpointAt})`,
    );
  } else lines.push(`  checkpoint        ${s.checkpoint} (moved ${s.checkpointAt})`);
  lines.push(
    `  delivered         ${count(s.units, "unit")}, ${count(s.rows, "row")}${s.oldest ? `, from ${s.oldest} to ${s.newest}` : ""}`,
  );
  lines.push(`  fingerprints kept ${s.fingerprints.toLocaleString("en-US")}`);
  return lines;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}
