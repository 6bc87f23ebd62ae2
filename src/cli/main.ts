#!/usr/bin/env node
import type { Command } from "commander";
import { describeError } from "../core/errors.js";

/**
 * Each command lives in src/cli/<name>.ts and exports `command(): Command`. Only the command being
 * run is loaded, so `sfevents replay` does not pay for the HTTP stack and `simulate` never opens
 * SQLite.
 */
const COMMANDS: Record<string, string> = {
  init: "Write a commented starter configuration (default ./sfevents.yaml).",
  collect: "Collect Event Log Files and deliver them to the configured outputs.",
  check: "Check a configuration against Salesforce and the outputs, with the fix for each failure.",
  replay: "Read Event Log File CSVs (plain or .gz) and print their events as NDJSON.",
  simulate: "Run a local Salesforce org that serves Event Log Files, for tests and rehearsals.",
  demo: "Start a simulated org and collect from it into ./out/.",
  state: "Show the state (checkpoints, delivered files), or rewind a source to collect again.",
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, text]) => `  ${name.padEnd(width)}  ${text}`);
  return [
    "Usage: sfevents <command> [options]",
    "",
    "Collect Salesforce Event Monitoring logs and deliver them to a SIEM.",
    "",
    "Commands:",
    ...lines,
    "",
    "Run 'sfevents <command> --help' for a command's options.",
    "",
  ].join("\n");
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(usage());
    return;
  }
  if (name === "--version" || name === "-V") {
    process.stdout.write("0.1.0\n");
    return;
  }
  if (!Object.hasOwn(COMMANDS, name)) {
    process.stderr.write(`sfevents: unknown command '${name}'\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  const mod = (await import(`./${name}.js`)) as { command(): Command };
  await mod.command().name(`sfevents ${name}`).parseAsync(rest, { from: "user" });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`sfevents: ${describeError(err)}\n`);
  process.exitCode = 1;
});
