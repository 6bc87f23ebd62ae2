import type { Config } from "../config/schema.js";
import type { Source } from "../core/source.js";
import type { Logger } from "../observability/logger.js";
import type { SalesforceClient } from "../salesforce/index.js";
import { EventLogFileSource } from "../sources/event-log-files/source.js";

/** A source and how often collect polls it. */
export interface ScheduledSource {
  source: Source;
  pollEvery: number;
}

/** The sources a configuration asks for, each built from its own section. */
export function buildSources(config: Config, client: SalesforceClient, logger: Logger): ScheduledSource[] {
  const now = () => client.orgNow();
  const elf = config.event_log_files;
  return [
    {
      pollEvery: elf.poll_every,
      source: new EventLogFileSource({
        api: client,
        logger,
        now,
        settings: {
          interval: elf.interval,
          eventTypes: elf.event_types,
          lookback: elf.lookback,
          start: elf.start ? new Date(elf.start) : undefined,
          overlap: elf.overlap,
        },
      }),
    },
  ];
}
