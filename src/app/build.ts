import { readFileSync } from "node:fs";
import { ConfigError } from "../config/load.js";
import type { Config } from "../config/schema.js";
import type { Logger } from "../observability/logger.js";
import { terminalProgress } from "../observability/progress.js";
import { FileOutput } from "../outputs/file/sink.js";
import type { Output } from "../core/output.js";
import { SekoiaOutput } from "../outputs/sekoia/sink.js";
import type { Dispatcher } from "undici";
import { createDispatcher } from "../http/dispatcher.js";
import { type RetryOptions, SalesforceClient } from "../salesforce/index.js";
import { openSqliteState, type StateStore } from "../state/index.js";
import type { CycleObserver, CycleReport } from "../core/cycle.js";
import { type DeadLetter, type DeadLetterSink, watchedDeadLetters } from "../core/dead-letters.js";
import { Engine } from "../engine/engine.js";
import { buildSources, type ScheduledSource } from "./sources.js";
import { DeadLetters } from "../outputs/dead-letter.js";

/** Everything a configured collector is made of, built in one place for collect, check and demo. */
export interface Assembly {
  client: SalesforceClient;
  outputs: Output[];
  state: StateStore;
  deadLetters: DeadLetters;
  sources: ScheduledSource[];
  engine: Engine;
  /** One cycle of every source, one after the other. */
  runCycle(signal?: AbortSignal): Promise<CycleReport[]>;
  close(): Promise<void>;
}

/**
 * The client and the outputs are handed `dispatcher` and do not close it: whoever creates a
 * dispatcher closes it, once everything that sends through it is done. `retry` overrides the
 * client's patience (check wants little).
 */
export function buildClient(
  config: Config,
  logger: Logger,
  dispatcher: Dispatcher,
  retry?: Partial<RetryOptions>,
): SalesforceClient {
  const sf = config.salesforce;
  let privateKey: string | undefined;
  if (sf.jwt) {
    try {
      privateKey = readFileSync(sf.jwt.private_key_file, "utf8");
    } catch (err) {
      throw new ConfigError(
        `salesforce.jwt.private_key_file: cannot read ${sf.jwt.private_key_file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
  }
  return new SalesforceClient({
    credentials: {
      url: sf.url,
      clientId: sf.client_id,
      clientSecret: sf.client_secret,
      jwt:
        sf.jwt && privateKey
          ? { username: sf.jwt.username, privateKey, audience: sf.jwt.audience }
          : undefined,
    },
    apiVersion: sf.api_version,
    dispatcher,
    logger,
    retry,
    slowDownAt: config.limits.slow_down_at,
  });
}

export async function buildOutputs(
  config: Config,
  deadLetters: DeadLetterSink,
  logger: Logger,
  dispatcher: Dispatcher,
): Promise<Output[]> {
  const outputs: Output[] = [];
  const { sekoia, file } = config.outputs;
  if (sekoia) {
    outputs.push(
      new SekoiaOutput({
        url: sekoia.url,
        intakeKey: sekoia.intake_key,
        retry: { maxElapsedMs: sekoia.retry_budget },
        requestTimeoutMs: sekoia.request_timeout,
        maxBatchBytes: sekoia.max_batch_bytes,
        maxBatchEvents: sekoia.max_batch_events,
        deadLetters,
        logger,
        dispatcher,
      }),
    );
  }
  if (file) {
    let encode: Parameters<typeof FileOutput.open>[0]["encode"];
    if (file.format === "ecs") {
      const { createNormalizer } = await import("../normalize/normalizer.js");
      const { sharedEcs } = await import("../normalize/shared-ecs.js");
      encode = sharedEcs(
        await createNormalizer({
          geoipPath: config.enrich.geoip,
          asnPath: config.enrich.asn,
          includeOriginal: file.include_original,
        }),
      );
    }
    outputs.push(await FileOutput.open({ path: file.path, encode, logger }));
  }
  return outputs;
}

/** Who watches the collector (metrics, the status page): told of cycles and of each dead letter. */
export interface Watchers {
  observer?: CycleObserver;
  deadLetterWritten?: (letter: DeadLetter) => void;
}

export async function assemble(config: Config, logger: Logger, watchers: Watchers = {}): Promise<Assembly> {
  // One dispatcher for Salesforce and the intake: one proxy and CA setting, one pool to close.
  const dispatcher = createDispatcher({ caFile: config.tls.ca_file });
  const client = buildClient(config, logger, dispatcher);
  const state = openSqliteState(config.state.path, {
    onUpgrade: (from, to) =>
      logger.info(
        { path: config.state.path, from, to },
        `The state database ${config.state.path} was upgraded from schema version ${from} to ${to}; everything delivered stays delivered`,
      ),
  });
  const deadLetters = new DeadLetters(config.dead_letters.path);
  const { deadLetterWritten } = watchers;
  const deadLetterSink = deadLetterWritten ? watchedDeadLetters(deadLetters, deadLetterWritten) : deadLetters;
  const outputs = await buildOutputs(config, deadLetterSink, logger, dispatcher);
  const elf = config.event_log_files;
  const sources = buildSources(config, client, logger);
  const engine = new Engine({
    state,
    outputs,
    deadLetters: deadLetterSink,
    logger,
    progress: terminalProgress(),
    observer: watchers.observer,
    now: () => client.orgNow(),
    settings: { concurrency: elf.concurrency, deduplicate: elf.deduplicate },
  });
  return {
    client,
    outputs,
    state,
    deadLetters,
    sources,
    engine,
    async runCycle(signal) {
      const reports: CycleReport[] = [];
      for (const { source } of sources) reports.push(await engine.runCycle(source, signal));
      return reports;
    },
    async close() {
      await Promise.allSettled(outputs.map((o) => o.close()));
      await client.close();
      await dispatcher.close();
      await deadLetters.close();
      state.close();
    },
  };
}
