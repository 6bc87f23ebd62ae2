import { Command, Option } from "commander";
import { formatDuration } from "../core/duration.js";
import { ConfigError } from "../config/load.js";
import type { Config } from "../app/config.js";
import { type Collection, loadCollection } from "../app/orgs.js";
import { LOG_LEVELS } from "../config/schema.js";
import { count } from "../observability/count.js";
import { createLogger, type LogFormat, type Logger } from "../observability/logger.js";
import { type Assembly, assemble } from "../app/build.js";
import type { ScheduledSource } from "../app/sources.js";
import type { CycleReport } from "../core/cycle.js";
import type { Source } from "../core/source.js";
import { actionOf, describeError } from "../core/errors.js";
import { boundHeapGrowth } from "./heap.js";
import { abortableSleep as sleep } from "../core/sleep.js";
import { runEachLeased, runLeased } from "../app/leased-work.js";
import type { StateStore } from "../state/index.js";
import { openDecodeThreads } from "../app/threads.js";
import type { DecodeThreads } from "../sources/event-log-files/decode-threads.js";

/** After SIGTERM, the batch in flight gets this long before the process leaves anyway. */
const SHUTDOWN_GRACE_MS = 8_000;
/** A stream cycles many times a minute: its cycle lines are summed up this often. */
const STREAM_SUMMARY_MS = 60_000;
/** A stream whose cycle failed (a permission, a licence) is tried again this long after, not at once. */
const STREAM_RETRY_MS = 60_000;

export function command(): Command {
  return new Command()
    .description("Collect Event Log Files and deliver them to the configured outputs (polls until stopped).")
    .requiredOption("-c, --config <file>", "the YAML configuration file")
    .option(
      "--once",
      "run one complete cycle (everything available now), then exit: 0 when all was delivered",
    )
    .addOption(
      new Option("--log-level <level>", "overrides log.level and SFEVENTS_LOG_LEVEL").choices(LOG_LEVELS),
    )
    .addOption(
      new Option(
        "--log-format <format>",
        "json lines, or pretty lines for a person (default: pretty on a terminal)",
      ).choices(["json", "pretty"]),
    )
    .action(async (options: { config: string; once?: boolean; logLevel?: string; logFormat?: LogFormat }) => {
      boundHeapGrowth();
      const collection = loadCollection(options.config);
      const level = options.logLevel ?? envLogLevel() ?? collection.process.log.level ?? "info";
      const logger = createLogger({ level, format: options.logFormat });
      const once = options.once ?? false;
      const threads = openDecodeThreads(collection.process.threads, logger);
      try {
        process.exitCode = collection.multi
          ? await collectMany(collection, logger, once, threads)
          : await collect(collection.orgs[0].config, logger, once, threads);
      } finally {
        await threads?.close();
      }
    });
}

function envLogLevel(): string | undefined {
  const level = process.env.SFEVENTS_LOG_LEVEL;
  if (level === undefined || level === "") return undefined;
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new ConfigError(`SFEVENTS_LOG_LEVEL is "${level}"; expected one of ${LOG_LEVELS.join(", ")}`);
  return level;
}

async function collect(
  config: Config,
  logger: Logger,
  once: boolean,
  threads: DecodeThreads | undefined,
): Promise<number> {
  // prom-client and the status page are loaded only when someone is to watch them.
  const listen = config.metrics.listen;
  const endpoints = listen
    ? (await import("../app/operator.js")).operatorEndpoints(config, listen, logger)
    : undefined;
  const app = await assemble(config, logger, endpoints?.watchers, { threads });
  const shutdown = shutdownOnSignals(logger);
  try {
    await endpoints?.start(app);
    if (once) return await runOnce(app, shutdown.signal, logger);
    await pollForever(app, shutdown.signal, logger);
    return 0;
  } catch (err) {
    return fatal(err, logger);
  } finally {
    shutdown.release();
    await endpoints?.close();
    await app.close();
  }
}

/**
 * The orgs of `orgs` and `orgs_dir`, side by side: an error that would stop a single-org collector
 * stops its org only, which is tried again later.
 */
async function collectMany(
  collection: Collection,
  logger: Logger,
  once: boolean,
  threads: DecodeThreads | undefined,
): Promise<number> {
  const listen = collection.process.metrics.listen;
  const endpoints = listen
    ? (await import("../app/operator.js")).orgsOperatorEndpoints(listen, logger)
    : undefined;
  const shutdown = shutdownOnSignals(logger);
  const { collectOrgs } = await import("../app/org-supervisor.js");
  try {
    await endpoints?.start();
    return await collectOrgs(collection, logger, {
      once,
      threads,
      signal: shutdown.signal,
      watch: endpoints?.watch,
      run: once
        ? (app, signal, orgLogger) => runOnce(app, signal, orgLogger)
        : async (app, signal, orgLogger, drain) => {
            await pollForever(app, signal, orgLogger, drain);
            return 0;
          },
    });
  } catch (err) {
    return fatal(err, logger);
  } finally {
    shutdown.release();
    await endpoints?.close();
  }
}

/** Said once: a plain line for the person at a terminal, a JSON line for a log pipeline. */
function fatal(err: unknown, logger: Logger): number {
  if (process.stderr.isTTY) process.stderr.write(`sfevents: ${describeError(err)}\n`);
  else logger.fatal(describeError(err));
  return 1;
}

/**
 * Aborts `signal` on SIGTERM, SIGINT or SIGHUP, after which the units in flight get a grace time;
 * `release` stops listening. SIGHUP is a closed terminal or a reload request: sfevents does not
 * reload its configuration file, so it stops as it does on SIGTERM, and says so.
 */
function shutdownOnSignals(logger: Logger): { signal: AbortSignal; release(): void } {
  const shutdown = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (shutdown.signal.aborted) return;
    const reload =
      signal === "SIGHUP"
        ? "; sfevents does not reload its configuration: start it again to apply a change"
        : "";
    logger.info({ signal }, `${signal} received: stopping after the files in flight are settled${reload}`);
    shutdown.abort(new Error(signal));
    setTimeout(() => {
      logger.warn("shutdown took too long; leaving now (undelivered files will be collected next run)");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
  };
  const signals: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];
  for (const signal of signals) process.on(signal, onSignal);
  return {
    signal: shutdown.signal,
    release: () => {
      for (const signal of signals) process.off(signal, onSignal);
    },
  };
}

/** The progress line of a cycle (after the "found" line): what it delivered, how far behind the org it is, the API spent. */
async function summarize(report: CycleReport, source: Source, app: Assembly, logger: Logger): Promise<void> {
  const unit = source.unitNoun;
  const newest = await app.state.newestPosition(report.source);
  const lagSeconds =
    newest === undefined
      ? undefined
      : Math.max(0, Math.round((app.client.orgNow().getTime() - Date.parse(newest)) / 1000));
  const usage = app.client.apiUsage;
  const text =
    `cycle done: ${count(report.delivered, unit)}, ${count(report.rows, "row")} delivered` +
    (report.failed.length > 0 ? `, ${count(report.failed.length, unit)} failed` : "") +
    (report.deadLetters > 0 ? `, ${count(report.deadLetters, "row")} in the dead letters` : "") +
    (report.possibleDuplicates > 0
      ? `, ${count(report.possibleDuplicates, "row")} sent again after a timeout (possible duplicates)`
      : "") +
    (lagSeconds === undefined ? "" : `; lag ${formatDuration(lagSeconds * 1000)}`) +
    (usage === undefined
      ? ""
      : `; API usage ${usage.used.toLocaleString("en-US")}/${usage.max.toLocaleString("en-US")} (${((usage.used / usage.max) * 100).toFixed(1)}%)`);
  const warn = report.failed.length > 0 || report.possibleDuplicates > 0;
  (warn ? logger.warn.bind(logger) : logger.info.bind(logger))(
    { ...report, lagSeconds, apiUsage: usage },
    text,
  );
}

/**
 * One cycle of each source; a stream cycles until it has nothing more (what it holds now, and the
 * backfill windows that have settled).
 */
async function runOnce(app: Assembly, signal: AbortSignal, logger: Logger): Promise<number> {
  // Returns whether a cycle failed.
  const once = async ({ source }: ScheduledSource, state: StateStore, stopped: AbortSignal) => {
    let failed = false;
    const streamed = source.streaming ? new StreamSummary() : undefined;
    for (;;) {
      const report = await app.engine.runCycle(source, stopped, state);
      failed ||= report.failed.length > 0;
      if (streamed === undefined) await summarize(report, source, app, logger);
      else streamed.add(report);
      if (streamed === undefined || report.listed === 0 || failed || stopped.aborted) break;
    }
    if (streamed !== undefined) await summarize(streamed.take(), source, app, logger);
    return failed;
  };
  let failed = false;
  if (app.leases) failed = await runEachLeased(app.sources, app.leases, logger, signal, once);
  else for (const scheduled of app.sources) failed = (await once(scheduled, app.state, signal)) || failed;
  return failed || signal.aborted ? 1 : 0;
}

/** A stream's cycles since its last summary line, added up into one report. */
class StreamSummary {
  private sum: CycleReport | undefined;
  private since = performance.now();

  add(report: CycleReport): void {
    if (this.sum === undefined) {
      this.sum = { ...report, failed: [...report.failed] };
      return;
    }
    const sum = this.sum;
    sum.listed += report.listed;
    sum.delivered += report.delivered;
    sum.rows += report.rows;
    sum.repeatedRows += report.repeatedRows;
    sum.deadLetters += report.deadLetters;
    sum.possibleDuplicates += report.possibleDuplicates;
    sum.failed.push(...report.failed);
  }

  /** Whether a summary is due: a minute has passed, or something failed. */
  due(): boolean {
    return (this.sum?.failed.length ?? 0) > 0 || performance.now() - this.since >= STREAM_SUMMARY_MS;
  }

  take(): CycleReport {
    const sum = this.sum as CycleReport;
    this.sum = undefined;
    this.since = performance.now();
    return sum;
  }
}

/**
 * Polls every source on its own schedule, side by side. An error no retry can fix stops them all;
 * any other failure of a cycle is logged and tried again at the source's next poll. `drain` (an
 * org's lease given back) stops each source after its cycle under way.
 */
async function pollForever(
  app: Assembly,
  signal: AbortSignal,
  logger: Logger,
  drain?: AbortSignal,
): Promise<void> {
  const stopAll = new AbortController();
  const stopped = AbortSignal.any([signal, stopAll.signal]);
  // Through its lease's fenced state, when collectors share the sources: `until` then stops it when
  // the lease is lost, `drain` after its cycle when the lease is given back (see LeasedRun).
  const poll = async (
    { source, pollEvery }: ScheduledSource,
    state = app.state,
    until = stopped,
    drain?: AbortSignal,
  ) => {
    // A stream's cycle waits for events until aborted: it ends at once.
    const cycleUntil = drain && source.streaming ? AbortSignal.any([until, drain]) : until;
    const pause = drain ? AbortSignal.any([until, drain]) : until;
    const streamed = source.streaming ? new StreamSummary() : undefined;
    logger.info(streamed ? `streaming ${source.id}` : `polling every ${formatDuration(pollEvery)}`);
    while (!pause.aborted) {
      let wait = pollEvery;
      try {
        const report = await app.engine.runCycle(source, cycleUntil, state);
        if (streamed === undefined) await summarize(report, source, app, logger);
        else {
          streamed.add(report);
          if (streamed.due()) await summarize(streamed.take(), source, app, logger);
        }
      } catch (err) {
        if (actionOf(err) === "stop") {
          stopAll.abort(err);
          throw err;
        }
        if (until.aborted) break;
        if (streamed) wait = STREAM_RETRY_MS;
        logger.error(
          { err: describeError(err) },
          `cycle failed, trying again in ${formatDuration(wait)}: ${describeError(err)}`,
        );
      }
      await sleep(wait, pause);
    }
  };
  if (app.leases) return runLeased(() => app.sources, app.leases, logger, stopped, poll, { noun: "sources" });
  const outcomes = await Promise.allSettled(
    app.sources.map((scheduled) => poll(scheduled, app.state, stopped, drain)),
  );
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
  if (failure) throw failure.reason;
}
