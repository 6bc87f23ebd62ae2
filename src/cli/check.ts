import { Command } from "commander";
import type { Dispatcher } from "undici";
import { ConfigError } from "../config/load.js";
import { type Config, loadConfig } from "../app/config.js";
import { createLogger } from "../observability/logger.js";
import { buildClient } from "../app/build.js";
import type { SalesforceClient } from "../salesforce/index.js";
import { OUTPUT_TYPES, type OutputType } from "../outputs/index.js";
import { checkWritable } from "../outputs/file/writable.js";
import { createDispatcher } from "../http/dispatcher.js";
import {
  ENABLE_HOURLY_ADVICE,
  orgHasHourlyFiles,
  pickInterval,
} from "../sources/event-log-files/interval.js";
import { soqlDateTime } from "../sources/event-log-files/query.js";
import { inspectSqliteState, type StateFileInspection } from "../state/index.js";
import { describeError } from "../core/errors.js";
import type { Finding } from "../core/finding.js";

type Status = Finding["status"];
const MARK: Record<Status, string> = { ok: "✓", warn: "!", fail: "✗", skip: "-" };
/** What can only be checked once the user can read Event Log Files. */
const AFTER_ACCESS = ["Hourly Event Log Files", "Event types in the last 24 h"];
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
    out.push(failure("Salesforce token", err));
    out.push(...skipped(["Event Log File access", ...AFTER_ACCESS], "needs a Salesforce token"));
    return out;
  }

  const wanted = config.event_log_files.interval;
  let orgHasHourly: boolean;
  try {
    orgHasHourly = await orgHasHourlyFiles(client);
    out.push({
      status: "ok",
      title: "Event Log File access",
      detail: "the Run As user can read EventLogFile",
    });
  } catch (err) {
    out.push(failure("Event Log File access", err));
    out.push(...skipped(AFTER_ACCESS, "needs Event Log File access"));
    out.push(...apiUsage(client, config));
    return out;
  }
  try {
    const choice = pickInterval(wanted, orgHasHourly);
    out.push(
      orgHasHourly
        ? {
            status: "ok",
            title: "Hourly Event Log Files",
            detail: `available; collecting ${choice.mode} files`,
          }
        : {
            status: "warn",
            title: "Hourly Event Log Files",
            detail: "not enabled in this org; collecting daily files (about a day of latency)",
            fix: ENABLE_HOURLY_ADVICE,
          },
    );
  } catch {
    out.push({
      status: "fail",
      title: "Hourly Event Log Files",
      detail: "not enabled in this org; interval: hourly cannot work",
      fix: ENABLE_HOURLY_ADVICE,
    });
  }

  try {
    // The org's clock, not this host's: the describe above has told it.
    const since = soqlDateTime(new Date(client.orgNow().getTime() - 86_400_000));
    const counts = new Map<string, number>();
    for await (const page of client.query<{ EventType: string }>(
      `SELECT EventType FROM EventLogFile WHERE CreatedDate >= ${since}`,
    )) {
      for (const r of page) counts.set(r.EventType, (counts.get(r.EventType) ?? 0) + 1);
    }
    const types = [...counts.keys()].sort();
    out.push({
      status: types.length > 0 ? "ok" : "warn",
      title: "Event types in the last 24 h",
      detail:
        types.length > 0
          ? types.map((t) => `${t} (${counts.get(t)})`).join(", ")
          : "no file was created in the last 24 hours",
      fix:
        types.length > 0
          ? undefined
          : "check that Event Monitoring generates log files (Setup > Event Monitoring Settings) and that there was activity",
    });
    const missing = config.event_log_files.event_types.filter((t) => !counts.has(t));
    if (missing.length > 0) {
      out.push({
        status: "warn",
        title: "Configured event types",
        detail: `no file in the last 24 h for ${missing.join(", ")}`,
        fix: "check the spelling (EventType values such as Login, API, RestApi) and the org's licence",
      });
    }
  } catch (err) {
    out.push(failure("Event Log File query", err));
  }

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

/** A failure, its sentence and its fix apart (an error's message ends with its advice: said once). */
function failure(title: string, err: unknown, fallbackFix?: string): Finding {
  const message = describeError(err);
  const advice = (err as { advice?: unknown }).advice;
  if (typeof advice === "string" && advice !== "" && message.endsWith(advice)) {
    return { status: "fail", title, detail: message.slice(0, -advice.length).trimEnd(), fix: advice };
  }
  return { status: "fail", title, detail: message, fix: fallbackFix };
}

function skipped(titles: readonly string[], why: string): Finding[] {
  return titles.map((title) => ({ status: "skip" as const, title, detail: `skipped: ${why}` }));
}

/** Every configured output, probed by its own type: nothing is delivered, nothing is created. */
async function checkOutputs(
  config: Config,
  logger: ReturnType<typeof createLogger>,
  dispatcher: Dispatcher,
): Promise<Finding[]> {
  const out: Finding[] = [];
  const sections: Record<string, unknown> = config.outputs;
  for (const type of OUTPUT_TYPES) {
    const section = sections[type.key];
    if (section === undefined) continue;
    try {
      // Each section was validated by this very type's schema.
      const finding = await (type as OutputType).probe(section, { logger, dispatcher });
      if (finding) out.push(finding);
    } catch (err) {
      out.push(failure(type.title, err));
    }
  }
  return out;
}

/** The state file read as it is, never created nor upgraded by a check. */
function checkState(config: Config): Finding {
  const path = config.state.path;
  let inspection: StateFileInspection;
  try {
    inspection = inspectSqliteState(path);
  } catch (err) {
    return failure("State", err);
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
