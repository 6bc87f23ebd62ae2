import { Command } from "commander";
import { formatDuration } from "../core/duration.js";
import { loadConfig } from "../config/load.js";
import { createLogger, type Logger } from "../observability/logger.js";
import { assemble } from "../pipeline/build.js";
import type { Collector, CycleReport } from "../pipeline/collector.js";
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
    .action(async (options: { config: string; once?: boolean }) => {
      const config = loadConfig(options.config);
      const logger = createLogger({ level: config.log.level });
      process.exitCode = await collect(config, logger, options.once ?? false);
    });
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
    logger.info({ signal }, `${signal} received: stopping after the files in flight are settled`);
    shutdown.abort(new Error(signal));
    setTimeout(() => {
      logger.warn("shutdown took too long; leaving now (undelivered files will be collected next run)");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    if (once) return await runOnce(app.collector, shutdown.signal, logger);
    await pollForever(app.collector, config.event_log_files.poll_every, shutdown.signal, logger);
    return 0;
  } catch (err) {
    // The JSON line is for the log pipeline; the plain line is for the person who started the run.
    logger.fatal({ err: describeError(err) }, describeError(err));
    process.stderr.write(`sfevents: ${describeError(err)}\n`);
    return 1;
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    await app.close();
  }
}

function summarize(report: CycleReport, logger: Logger): void {
  const text =
    `cycle done: ${report.delivered} file(s), ${report.rows} row(s) delivered` +
    (report.failed.length > 0 ? `, ${report.failed.length} file(s) failed` : "") +
    (report.deadLetters > 0 ? `, ${report.deadLetters} row(s) in the dead letters` : "") +
    (report.possibleDuplicates > 0
      ? `, ${report.possibleDuplicates} row(s) sent again after a timeout (possible duplicates)`
      : "");
  const warn = report.failed.length > 0 || report.possibleDuplicates > 0;
  (warn ? logger.warn.bind(logger) : logger.info.bind(logger))({ ...report }, text);
}

async function runOnce(collector: Collector, signal: AbortSignal, logger: Logger): Promise<number> {
  const report = await collector.runCycle(signal);
  summarize(report, logger);
  return report.failed.length > 0 || signal.aborted ? 1 : 0;
}

async function pollForever(
  collector: Collector,
  every: number,
  signal: AbortSignal,
  logger: Logger,
): Promise<void> {
  logger.info(`polling every ${formatDuration(every)}`);
  while (!signal.aborted) {
    try {
      summarize(await collector.runCycle(signal), logger);
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
