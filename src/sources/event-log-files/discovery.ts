import type { Logger } from "../../observability/logger.js";
import { type DiscoveryQueryOptions, discoveryQuery } from "./query.js";
import { compareFiles, type EventLogFile } from "./records.js";

export interface QueryApi {
  query<T>(soql: string, options?: { batchSize?: number }): AsyncIterable<T[]>;
}

/** Listings started over after an expired query locator before the cycle gives up. */
const LISTING_ATTEMPTS = 3;

/**
 * Lists the files created since the cursor (minus the overlap), every page of them. All pages are read
 * before any download starts: query locators expire after minutes of inactivity, and a listing of
 * thousands of files is small next to the files themselves. A locator that expired anyway (the process
 * was paused, the org dropped it) only means the listing is read again from the start.
 */
export async function discoverFiles(
  api: QueryApi,
  options: DiscoveryQueryOptions,
  logger?: Logger,
): Promise<EventLogFile[]> {
  const soql = discoveryQuery(options);
  for (let attempt = 1; ; attempt++) {
    try {
      const files: EventLogFile[] = [];
      for await (const page of api.query<EventLogFile>(soql)) files.push(...page);
      // Salesforce orders them already; sorting again makes the cursor's order independent of it.
      return files.sort(compareFiles);
    } catch (err) {
      if (
        (err as { errorCode?: unknown }).errorCode !== "INVALID_QUERY_LOCATOR" ||
        attempt >= LISTING_ATTEMPTS
      )
        throw err;
      logger?.warn(
        { attempt, attempts: LISTING_ATTEMPTS },
        "The query locator of the Event Log File listing expired between two pages; listing again from the start",
      );
    }
  }
}
