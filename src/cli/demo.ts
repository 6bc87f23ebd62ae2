import { createWriteStream, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { parseConfig } from "../app/config.js";
import { count } from "../observability/count.js";
import { createLogger } from "../observability/logger.js";
import { assemble } from "../app/build.js";
import { startSimulator } from "../simulator/server/index.js";
import { startLocalIntake } from "../simulator/sekoia-intake.js";

export function command(): Command {
  return new Command()
    .description(
      "Start a simulated Salesforce org and a local Sekoia.io-style intake, and collect from one to the other.",
    )
    .option("--out <dir>", "where the events go", "./out")
    .option("--days <n>", "days of history in the simulated org", "2")
    .option("--seed <n>", "the simulated org's seed", "1")
    .action(async (options: { out: string; days: string; seed: string }) => {
      await demo(resolve(options.out), Number(options.days), Number(options.seed));
    });
}

async function demo(out: string, days: number, seed: number): Promise<void> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  mkdirSync(out, { recursive: true });
  const rawPath = join(out, "salesforce-events.ndjson");
  const intakePath = join(out, "sekoia-intake.ndjson");
  const statePath = join(out, "demo-state.sqlite");
  // A demo starts from scratch each time, so it always shows a full collection.
  for (const p of [rawPath, intakePath, statePath, `${statePath}-wal`, `${statePath}-shm`])
    rmSync(p, { force: true });

  const org = await startSimulator({ seed, days });
  const intakeFile = createWriteStream(intakePath);
  const intake = await startLocalIntake({
    intakeKey: "demo-intake-key",
    onBatch: (events) => {
      intakeFile.write(`${events.join("\n")}\n`);
    },
  });
  say(`Simulated Salesforce org: ${org.url} (seed ${seed}, ${days} days of history)`);
  say(`Local Sekoia.io-style intake: ${intake.url}`);

  const config = parseConfig(
    {
      salesforce: { url: org.url, client_id: org.clientId, client_secret: org.clientSecret },
      event_log_files: { interval: "auto", lookback: `${days + 1}d` },
      outputs: { sekoia: { url: intake.url, intake_key: "demo-intake-key" }, file: { path: rawPath } },
      state: { path: statePath },
      dead_letters: { path: join(out, "dead-letters.ndjson") },
    },
    {},
    "the demo configuration",
  );
  const logger = createLogger({ level: process.env.SFEVENTS_LOG_LEVEL ?? "warn" });
  const app = await assemble(config, logger);
  const started = Date.now();
  try {
    // The demo's org has one source, Event Log Files.
    const [report] = await app.runCycle();
    const [{ source: files }] = app.sources;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    say(
      `Collected ${count(report.delivered, files.unitNoun)}, ${report.rows.toLocaleString("en-US")} rows, in ${seconds} s.`,
    );
    say("");
    say("What the demo wrote:");
    say(`  ${rawPath}   one JSON object per CSV row, values as written`);
    say(
      `  ${intakePath}   what the Sekoia.io-style intake received (${intake.stats.events.toLocaleString("en-US")} events in ${intake.stats.batches} batches)`,
    );
    if (report.deadLetters > 0)
      say(
        `  ${config.dead_letters.path}   ${report.deadLetters} rows that could not be delivered as they are`,
      );
    say(
      `  ${statePath}   the state: which files were delivered, the cursor and the rows' fingerprints, so a next run sends nothing twice (the demo starts afresh each time)`,
    );
    if (report.failed.length > 0) {
      say(`${report.failed.length} file(s) failed:`);
      for (const f of report.failed) say(`  ${f.unit}: ${f.error}`);
      process.exitCode = 1;
    }
    say("");
    say(
      "Next: run `npx sfevents simulate` in one terminal and `npx sfevents collect --config FILE` against it, or",
    );
    say(
      "write a configuration for your own org with `npx sfevents init` (README.md, 'Salesforce side, step by step').",
    );
  } finally {
    await app.close();
    await intake.close();
    await new Promise<void>((r) => intakeFile.end(() => r()));
    await org.close();
  }
}
