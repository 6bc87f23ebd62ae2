import { readFileSync } from "node:fs";
import { ConfigError } from "../config/load.js";
import { type Logger, secrets } from "../observability/logger.js";
import { terminalProgress } from "../observability/progress.js";
import type { Output } from "../core/output.js";
import { OUTPUT_TYPES, type OutputContext, type OutputType } from "../outputs/index.js";
import type { Dispatcher } from "undici";
import { createDispatcher } from "../http/dispatcher.js";
import { type RetryOptions, SalesforceClient } from "../salesforce/index.js";
import { PubSubClient } from "../salesforce/pubsub/index.js";
import {
  isLeasable,
  openState,
  orgState,
  passwordOf,
  type StateStore,
  stateName,
  type WorkLeases,
} from "../state/index.js";
import type { CycleObserver, CycleReport } from "../core/cycle.js";
import {
  type DeadLetter,
  type DeadLetterSink,
  orgDeadLetters,
  watchedDeadLetters,
} from "../core/dead-letters.js";
import { Engine } from "../engine/engine.js";
import type { DecodeThreads } from "../sources/event-log-files/decode-threads.js";
import { buildSources, type ScheduledSource } from "./sources.js";
import { DeadLetters } from "../outputs/dead-letter.js";
import { EVENT_LOG_FILE_DEFAULTS } from "../config/schema.js";
import type { Config } from "./config.js";
import { ecsEncoders } from "./ecs.js";
import { collectorId } from "./leased-work.js";

/** Everything a configured collector is made of, built in one place for collect, check and demo. */
export interface Assembly {
  client: SalesforceClient;
  outputs: Output[];
  state: StateStore;
  /** With a state collectors share (PostgreSQL): the leases this one divides the sources with. */
  leases?: WorkLeases;
  deadLetters: DeadLetterSink;
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

/**
 * Every configured output, in the registry's order. An output that fails to open closes the ones
 * opened before it.
 */
export async function buildOutputs(
  config: Config,
  deadLetters: DeadLetterSink,
  logger: Logger,
  dispatcher: Dispatcher,
): Promise<Output[]> {
  const context: OutputContext = { logger, dispatcher, deadLetters, ecs: ecsEncoders(config.enrich) };
  const sections: Record<string, unknown> = config.outputs;
  const outputs: Output[] = [];
  try {
    for (const type of OUTPUT_TYPES) {
      const section = sections[type.key];
      // Each section was validated by this very type's schema.
      if (section !== undefined) outputs.push(await (type as OutputType).open(section, context));
    }
  } catch (err) {
    await Promise.allSettled(outputs.map((o) => o.close()));
    throw err;
  }
  return outputs;
}

/** Who watches the collector (metrics, the status page): told of cycles and of each dead letter. */
export interface Watchers {
  observer?: CycleObserver;
  deadLetterWritten?: (letter: DeadLetter) => void;
}

/**
 * What the orgs of one process share (`orgs`, `orgs_dir`): one state, in which each org's source ids
 * are kept under its name, and one dead-letter file, whose letters name their org. Whoever opened
 * them closes them.
 */
export interface SharedByOrgs {
  org: string;
  state: StateStore;
  deadLetters: DeadLetters;
}

/** What the process opens once and lends to each org's collector. */
export interface ProcessParts {
  /** Several orgs in one process: the state and dead-letter file they share, and this one's name. */
  shared?: SharedByOrgs;
  /** The worker threads that decode Event Log Files; without them, files are decoded on the main thread. */
  threads?: DecodeThreads;
}

/** Opens the configured state, saying when it upgrades its schema. */
export async function openConfiguredState(
  config: Pick<Config, "state">,
  logger: Logger,
): Promise<StateStore> {
  // The connection string's password is redacted from every log line, whatever says it.
  if (config.state.postgres) secrets.add(passwordOf(config.state.postgres.url));
  const stateAt = await stateName(config.state);
  return openState(config.state, {
    onUpgrade: (from, to) =>
      logger.info(
        { ...(config.state.postgres ? { database: stateAt } : { path: stateAt }), from, to },
        `The state database ${stateAt} was upgraded from schema version ${from} to ${to}; everything delivered stays delivered`,
      ),
  });
}

export async function assemble(
  config: Config,
  logger: Logger,
  watchers: Watchers = {},
  { shared, threads }: ProcessParts = {},
): Promise<Assembly> {
  // What is open, closed last-opened first: by close(), or at once when the assembly fails half-way.
  const opened: (() => unknown)[] = [];
  const closeAll = async () => {
    for (let close = opened.pop(); close; close = opened.pop()) await close();
  };
  try {
    // One dispatcher for Salesforce and the intake: one proxy and CA setting, one pool to close.
    const dispatcher = createDispatcher({ caFile: config.tls.ca_file });
    opened.push(() => dispatcher.close());
    const client = buildClient(config, logger, dispatcher);
    opened.push(() => client.close());
    let state: StateStore;
    let deadLetters: DeadLetterSink;
    // Leases divide a single org's sources between collectors; several orgs are divided whole, each
    // under its own lease, by the org supervisor, which hands in the lease's fenced state.
    let leases: WorkLeases | undefined;
    if (shared) {
      state = orgState(shared.state, shared.org);
      deadLetters = orgDeadLetters(shared.deadLetters, shared.org);
    } else {
      const own = await openConfiguredState(config, logger);
      state = own;
      opened.push(() => own.close());
      leases =
        config.state.postgres && isLeasable(own)
          ? own.workLeases(collectorId(), config.state.postgres.lease)
          : undefined;
      const file = new DeadLetters(config.dead_letters.path);
      opened.push(() => file.close());
      deadLetters = file;
    }
    const { deadLetterWritten } = watchers;
    const deadLetterSink = deadLetterWritten
      ? watchedDeadLetters(deadLetters, deadLetterWritten)
      : deadLetters;
    const outputs = await buildOutputs(config, deadLetterSink, logger, dispatcher);
    opened.push(() => Promise.allSettled(outputs.map((o) => o.close())));
    // Engine settings live in the Event Log File section since 0.1; a file without one takes their defaults.
    const elf = config.event_log_files ?? EVENT_LOG_FILE_DEFAULTS;
    const streams = config.streams;
    const pubsub =
      streams &&
      new PubSubClient({
        endpoint: streams.endpoint,
        tls: streams.tls,
        auth: { current: () => client.pubSubAuth(), renew: (refused) => client.renewPubSubAuth(refused) },
        logger,
      });
    if (pubsub) opened.push(() => pubsub.close());
    const sources = buildSources(config, client, logger, { pubsub, threads });
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
      leases,
      deadLetters,
      sources,
      engine,
      async runCycle(signal) {
        const reports: CycleReport[] = [];
        for (const { source } of sources) reports.push(await engine.runCycle(source, signal));
        return reports;
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll().catch(() => {});
    throw err;
  }
}
