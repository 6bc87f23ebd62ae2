import { type Config, eventLogFilesOf } from "./config.js";
import type { Source } from "../core/source.js";
import type { Logger } from "../observability/logger.js";
import type { SalesforceClient } from "../salesforce/index.js";
import type { DecodeThreads } from "../sources/event-log-files/decode-threads.js";
import { EventLogFileSource } from "../sources/event-log-files/source.js";
import { configuredKinds, type ObjectsConfig } from "../sources/objects/config.js";
import { ObjectSource } from "../sources/objects/source.js";
import { configuredStreams, type StreamsConfig } from "../sources/streams/config.js";
import { type PubSubApi, StreamSource } from "../sources/streams/source.js";

/** A source and how often collect polls it: a stream, whose listing waits for events, at once. */
export interface ScheduledSource {
  source: Source;
  pollEvery: number;
  /**
   * The work collectors sharing a database divide by leases: known before the source opens (its id
   * may depend on what opening learns), the same in every collector with this configuration.
   */
  leaseKey: string;
}

/** What sources may be lent beside the Salesforce client. */
export interface SourceParts {
  /** Needed when the configuration has streams. */
  pubsub?: PubSubApi;
  /** Where Event Log Files are decoded, when not on the main thread. */
  threads?: DecodeThreads;
}

/** The sources a configuration asks for, each built from its own section. */
export function buildSources(
  config: Config,
  client: SalesforceClient,
  logger: Logger,
  { pubsub, threads }: SourceParts = {},
): ScheduledSource[] {
  const now = () => client.orgNow();
  const sources: ScheduledSource[] = [];
  const elf = eventLogFilesOf(config);
  if (elf) {
    sources.push({
      pollEvery: elf.poll_every,
      leaseKey: "event_log_files",
      source: new EventLogFileSource({
        api: client,
        logger,
        now,
        threads,
        deduplicate: elf.deduplicate,
        settings: {
          interval: elf.interval,
          eventTypes: elf.event_types,
          lookback: elf.lookback,
          start: elf.start ? new Date(elf.start) : undefined,
          overlap: elf.overlap,
        },
      }),
    });
  }
  if (config.objects) sources.push(...objectSources(config.objects, client, logger, now));
  if (config.streams) {
    if (pubsub === undefined) throw new Error("a configuration with streams needs a Pub/Sub client");
    sources.push(...streamSources(config.streams, client, pubsub, logger, now));
  }
  return sources;
}

/** One source per stream, each with its own subscription and replay id. */
function streamSources(
  section: StreamsConfig,
  client: SalesforceClient,
  pubsub: PubSubApi,
  logger: Logger,
  now: () => Date,
): ScheduledSource[] {
  const settings = {
    start: section.start,
    lookback: section.lookback,
    backfill: section.backfill,
    capacity: section.capacity,
  };
  return configuredStreams(section).map((kind) => ({
    pollEvery: 0,
    leaseKey: `streams:${kind.name}`,
    source: new StreamSource({
      pubsub,
      objects: client,
      logger,
      kind,
      settings,
      required: section.topics !== undefined,
      now,
      syncClock: () => client.versions(),
    }),
  }));
}

/** One source per object: each has its own checkpoint and is polled on the section's schedule. */
function objectSources(
  section: ObjectsConfig,
  client: SalesforceClient,
  logger: Logger,
  now: () => Date,
): ScheduledSource[] {
  const kinds = configuredKinds(section, client.apiVersion);
  const plan = {
    lookback: section.lookback,
    start: section.start ? new Date(section.start) : undefined,
    lag: section.lag,
    overlap: section.overlap,
    window: section.window,
  };
  return kinds.map((kind) => ({
    pollEvery: section.poll_every,
    leaseKey: `objects:${kind.name}`,
    source: new ObjectSource({ api: client, logger, kind, plan, required: section.types !== undefined, now }),
  }));
}
