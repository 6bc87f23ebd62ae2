import { type DiscoveryQueryOptions, discoveryQuery } from "./query.js";
import { compareFiles, type EventLogFile } from "./records.js";

export interface QueryApi {
  query<T>(soql: string, options?: { batchSize?: number }): AsyncIterable<T[]>;
}

/**
 * Lists the files created since the cursor (minus the overlap), every page of them. All pages are read
 * before any download starts: query locators expire after minutes of inactivity, and a listing of
 * thousands of files is small next to the files themselves.
 */
export async function discoverFiles(api: QueryApi, options: DiscoveryQueryOptions): Promise<EventLogFile[]> {
  const files: EventLogFile[] = [];
  for await (const page of api.query<EventLogFile>(discoveryQuery(options))) files.push(...page);
  // Salesforce orders them already; sorting again makes the cursor's order independent of it.
  return files.sort(compareFiles);
}
