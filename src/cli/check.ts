import { accessSync, constants, existsSync } from "node:fs";
import { dirname } from "node:path";
import { Command } from "commander";
import type { Dispatcher } from "undici";
import { ConfigError, loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { createLogger } from "../observability/logger.js";
import { buildClient } from "../app/build.js";
import type { SalesforceClient } from "../salesforce/index.js";
import { DeadLetters } from "../outputs/dead-letter.js";
import { SekoiaOutput } from "../outputs/sekoia/sink.js";
import { createDispatcher } from "../http/dispatcher.js";
import { checkEventLogFiles, EVENT_LOG_FILE_CHECKS } from "../sources/event-log-files/check.js";
import { inspectSqliteState, type StateFileInspection } from "../state/index.js";
import { describeError } from "../core/errors.js";
import { type Finding, failed, skipped } from "../core/finding.js";

type Status = Finding["status"];

const SEKOIA_FIX = "check outputs.sekoia.url (your region's intake URL) and outputs.sekoia.intake_key";
const MARK: Record<Status, string> = { ok: "✓", warn: "!", fail: "✗", skip: "-" };
const CHECK_RETRY = { attempts: 2, requestLimitWaits: 0 };

export function command(): Command {
  return new Command()
    .description(
      "Check a configuration against Salesforce and the outputs; print a checklist with the fix for each failure.",
    )
    .requiredOption("-c, --config <file>", "the YAML configuration file")
    .action(async (options: { config: string }) => {
      const findings = await runChecks(options.config);
      for (const f of findings) {
        process.stdout.write(`${MARK[f.status]} ${f.title}: ${f.detail}\n`);
        if (f.fix) process.stdout.write(`    fix: ${f.fix}\n`);
      }
      const failed = findings.filter((f) => f.status === "fail").length;
      process.stdout.write(
        failed === 0
          ? "\nReady: `sfevents collect` should work with this configuration.\n"
          : `\n${failed} problem(s) would stop \`sfevents collect\`.\n`,
      );
      process.exitCode = failed === 0 ? 0 : 1;
    });
}

export async function runChecks(path: string): Promise<Finding[]> {
  let config: Config;
  try {
    config = loadConfig(path);
  } catch (err) {
    return [
      {
        status: "fail",
        title: "Configuration",
        detail: describeError(err),
        fix: err instanceof ConfigError ? "correct the keys listed above" : undefined,
      },
    ];
  }
  const findings: Finding[] = [{ status: "ok", title: "Configuration", detail: `${path} is valid` }];
  // Logs would interleave with the checklist; only the checklist speaks here.
  const logger = createLogger({ level: "silent" });
  const dispatcher = createDispatcher({ caFile: config.tls.ca_file });
  try {
    findings.push(...(await checkSalesforce(config, logger, dispatcher)));
    findings.push(...(await checkOutputs(config, logger, dispatcher)));
  } finally {
    await dispatcher.close();
  }
  findings.push(checkState(config));
  return findings;
}

async function checkSalesforce(
  config: Config,
  logger: ReturnType<typeof createLogger>,
  dispatcher: Dispatcher,
): Promise<Finding[]> {
  const out: Finding[] = [];
  // One quick try per call: a check reports what it sees rather than wait out a spent allowance.
  const client = buildClient(config, logger, dispatcher, CHECK_RETRY);
  try {
    await client.authenticate();
    out.push({ status: "ok", title: "Salesforce token", detail: `obtained from ${config.salesforce.url}` });
  } catch (err) {
    out.push(failed("Salesforce token", err));
    out.push(...skipped(EVENT_LOG_FILE_CHECKS, "needs a Salesforce token"));
    return out;
  }

  const elf = config.event_log_files;
  out.push(...(await checkEventLogFiles(client, { interval: elf.interval, eventTypes: elf.event_types })));
  out.push(...apiUsage(client, config));
  return out;
}

/** The org's API usage as the latest answer reported it, if any did. */
function apiUsage(client: SalesforceClient, config: Config): Finding[] {
  const out: Finding[] = [];
  const usage = client.apiUsage;
  if (usage) {
    const share = usage.used / usage.max;
    const detail = `${usage.used} of ${usage.max} daily API requests used (${Math.round(share * 100)}%)`;
    const status: Status =
      usage.used >= usage.max ? "fail" : share >= config.limits.slow_down_at ? "warn" : "ok";
    out.push({
      status,
      title: "API usage",
      detail,
      fix:
        status === "ok"
          ? undefined
          : "other integrations use the org's daily allowance; sfevents slows down past limits.slow_down_at",
    });
  }
  return out;
}

async function checkOutputs(
  config: Config,
  logger: ReturnType<typeof createLogger>,
  dispatcher: Dispatcher,
): Promise<Finding[]> {
  const out: Finding[] = [];
  const { sekoia, file } = config.outputs;
  if (sekoia) {
    const output = new SekoiaOutput({
      url: sekoia.url,
      intakeKey: sekoia.intake_key,
      deadLetters: new DeadLetters(config.dead_letters.path),
      logger,
      dispatcher,
    });
    try {
      const probe = await output.probe();
      out.push(
        probe.ok
          ? { status: "ok", title: "Sekoia.io intake", detail: probe.detail }
          : { status: "fail", title: "Sekoia.io intake", detail: probe.detail, fix: SEKOIA_FIX },
      );
    } catch (err) {
      out.push(failed("Sekoia.io intake", err, SEKOIA_FIX));
    } finally {
      await output.close();
    }
  }
  if (file && file.path !== "-") out.push(checkWritable("File output", file.path));
  return out;
}

/**
 * Whether the collector could write `path`, without writing anything: the file, or the nearest folder
 * that exists on the way to it, must be writable (a check creates nothing).
 */
function checkWritable(title: string, path: string): Finding {
  let existing = existsSync(path) ? path : dirname(path);
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    accessSync(existing, constants.W_OK);
    return {
      status: "ok",
      title,
      detail:
        existing === path || existing === dirname(path) ? `${path} can be written` : `${path} can be created`,
    };
  } catch (err) {
    return {
      status: "fail",
      title,
      detail: `cannot write ${path}: ${(err as Error).message}`,
      fix: "choose a path in a directory the collector's user can write",
    };
  }
}

/** The state file read as it is, never created nor upgraded by a check. */
function checkState(config: Config): Finding {
  const path = config.state.path;
  let inspection: StateFileInspection;
  try {
    inspection = inspectSqliteState(path);
  } catch (err) {
    return failed("State", err);
  }
  switch (inspection.kind) {
    case "absent":
      return { ...checkWritable("State", path), title: "State" };
    case "current":
      return { status: "ok", title: "State", detail: `${path} opens` };
    case "older":
      return {
        status: "ok",
        title: "State",
        detail: `${path} was written by an earlier sfevents (schema version ${inspection.version}); collect upgrades it in place on first start`,
      };
    case "newer":
      return {
        status: "fail",
        title: "State",
        detail: `${path} was written by a newer sfevents (schema version ${inspection.version})`,
        fix: "upgrade sfevents, or give this one another state.path",
      };
  }
}
