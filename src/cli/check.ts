import { Command } from "commander";
import type { Dispatcher } from "undici";
import { ConfigError } from "../config/load.js";
import { join } from "node:path";
import { type Config, eventLogFilesOf } from "../app/config.js";
import { type Collection, loadCollection, orgFileNames, readOrgFile } from "../app/orgs.js";
import { createLogger } from "../observability/logger.js";
import { buildClient } from "../app/build.js";
import type { SalesforceClient } from "../salesforce/index.js";
import { OUTPUT_TYPES, type OutputType } from "../outputs/index.js";
import { checkWritable } from "../outputs/file/writable.js";
import { createDispatcher } from "../http/dispatcher.js";
import { checkEventLogFiles, EVENT_LOG_FILE_CHECKS } from "../sources/event-log-files/check.js";
import { checkObjects } from "../sources/objects/check.js";
import { configuredKinds } from "../sources/objects/config.js";
import { checkStreams } from "../sources/streams/check.js";
import { configuredStreams } from "../sources/streams/config.js";
import { PubSubClient } from "../salesforce/pubsub/index.js";
import { inspectState, type StateFileInspection, stateName } from "../state/index.js";
import { describeError } from "../core/errors.js";
import { type Finding, failed, skipped } from "../core/finding.js";

type Status = Finding["status"];
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
  let collection: Collection;
  try {
    collection = loadCollection(path);
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
  const orgs = [...collection.orgs];
  const dir = collection.orgsDir;
  if (dir !== undefined) {
    for (const file of orgFileNames(dir)) {
      const read = readOrgFile(collection, dir, file);
      if (read?.org) orgs.push(read.org);
      else if (read?.problem)
        findings.push({
          status: "fail",
          title: join(dir, file),
          detail: read.problem,
          fix: "correct the keys listed above",
        });
    }
    if (orgs.length === 0)
      findings.push({
        status: "warn",
        title: "Orgs",
        detail: `no org in orgs, and no org file in ${dir} yet`,
      });
  }
  // Logs would interleave with the checklist; only the checklist speaks here.
  const logger = createLogger({ level: "silent" });
  for (const org of orgs) {
    const config = org.config;
    const dispatcher = createDispatcher({ caFile: config.tls.ca_file });
    try {
      const own = [
        ...(await checkSalesforce(config, logger, dispatcher)),
        ...(await checkOutputs(config, logger, dispatcher)),
      ];
      // Several orgs: each finding says whose it is.
      findings.push(
        ...(org.name === undefined ? own : own.map((f) => ({ ...f, title: `${org.name}: ${f.title}` }))),
      );
    } finally {
      await dispatcher.close();
    }
  }
  findings.push(await checkState(collection.process));
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

  const elf = eventLogFilesOf(config);
  if (elf)
    out.push(...(await checkEventLogFiles(client, { interval: elf.interval, eventTypes: elf.event_types })));
  if (config.objects) {
    const kinds = configuredKinds(config.objects, client.apiVersion);
    out.push(...(await checkObjects(client, kinds, config.objects.types !== undefined)));
  }
  if (config.streams) {
    const { endpoint, tls, topics } = config.streams;
    const pubsub = new PubSubClient({
      endpoint,
      tls,
      auth: { current: () => client.pubSubAuth(), renew: (refused) => client.renewPubSubAuth(refused) },
      logger,
    });
    try {
      out.push(...(await checkStreams(pubsub, configuredStreams(config.streams), topics !== undefined)));
    } finally {
      pubsub.close();
    }
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
      out.push(failed(type.title, err));
    }
  }
  return out;
}

/** The state read as it is, never created nor upgraded by a check. */
async function checkState(config: Pick<Config, "state">): Promise<Finding> {
  const path = await stateName(config.state);
  let inspection: StateFileInspection;
  try {
    inspection = await inspectState(config.state);
  } catch (err) {
    return failed("State", err);
  }
  switch (inspection.kind) {
    case "absent":
      if (config.state.postgres)
        return {
          status: "ok",
          title: "State",
          detail: `${path} answers; collect creates the sfevents tables`,
        };
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
        fix: `upgrade sfevents, or give this one another ${config.state.postgres ? "database" : "state.path"}`,
      };
  }
}
