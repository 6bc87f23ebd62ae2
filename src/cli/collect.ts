import { Command, Option } from "commander";
import { formatDuration } from "../core/duration.js";
import { ConfigError } from "../config/load.js";
import { loadConfig } from "../app/config.js";
import { LOG_LEVELS } from "../config/schema.js";
import { count } from "../observability/count.js";
import { createLogger, type LogFormat, type Logger } from "../observability/logger.js";
import { type Assembly, assemble } from "../app/build.js";
import type { CycleReport } from "../engine/engine.js";
import { actionOf, describeError } from "../core/errors.js";

/** After SIGTERM, the batch in flight gets this long before the process leaves anyway. */
const SHUTDOWN_GRACE_MS = 8_000;

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
      const config = loadConfig(options.config);
      const level = options.logLevel ?? envLogLevel() ?? config.log.level ?? "info";
      const logger = createLogger({ level, format: options.logFormat });
      process.exitCode = await collect(config, logger, options.once ?? false);
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
  config: ReturnType<typeof loadConfig>,
  logger: Logger,
  once: boolean,
): Promise<number> {
  const app = await assemble(config, logger);
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
  // SIGHUP is a closed terminal or a reload request: sfevents does not reload its configuration, so
  // it stops as it does on SIGTERM, and says so (a restart applies a changed configuration).
  const signals: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];
  for (const signal of signals) process.on(signal, onSignal);
  try {
    if (once) return await runOnce(app, shutdown.signal, logger);
    await pollForever(app, config.event_log_files.poll_every, shutdown.signal, logger);
    return 0;
  } catch (err) {
    // Said once: a plain line for the person at a terminal, a JSON line for a log pipeline.
    if (process.stderr.isTTY) process.stderr.write(`sfevents: ${describeError(err)}\n`);
    else logger.fatal(describeError(err));
    return 1;
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
    await app.close();
  }
}

function summarize(report: CycleReport, logger: Logger): void {
  const text =
    `cycle done: ${count(report.delivered, "file")}, ${count(report.rows, "row")} delivered` +
    (report.failed.length > 0 ? `, ${count(report.failed.length, "file")} failed` : "") +
    (report.deadLetters > 0 ? `, ${count(report.deadLetters, "row")} in the dead letters` : "") +
    (report.possibleDuplicates > 0
      ? `, ${count(report.possibleDuplicates, "row")} sent again after a timeout (possible duplicates)`
      : "");
  const warn = report.failed.length > 0 || report.possibleDuplicates > 0;
  (warn ? logger.warn.bind(logger) : logger.info.bind(logger))({ ...report }, text);
}

async function runOnce(app: Assembly, signal: AbortSignal, logger: Logger): Promise<number> {
  const reports = await app.runCycle(signal);
  for (const report of reports) summarize(report, logger);
  return reports.some((report) => report.failed.length > 0) || signal.aborted ? 1 : 0;
}

async function pollForever(app: Assembly, every: number, signal: AbortSignal, logger: Logger): Promise<void> {
  logger.info(`polling every ${formatDuration(every)}`);
  while (!signal.aborted) {
    try {
      for (const report of await app.runCycle(signal)) summarize(report, logger);
    } catch (err) {
      if (actionOf(err) === "stop") throw err;
      if (signal.aborted) break;
      logger.error(
        { err: describeError(err) },
        `cycle failed, trying again in ${formatDuration(every)}: ${describeError(err)}`,
      );
    }
    await sleep(every, signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    // A signal that came during the cycle has already fired its abort event: waiting would last poll_every.
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
