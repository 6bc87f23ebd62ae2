import { inspectSqliteState, type StateFileInspection } from "./sqlite/inspect.js";
import { openSqliteState } from "./sqlite/sqlite-store.js";
import { summarizeSqliteState, type StateFileSummary } from "./sqlite/summary.js";
import type { StateStore } from "./store.js";

/** The configuration's `state` section: an SQLite file, or a PostgreSQL database. */
export type StateLocation =
  | { path: string; postgres?: undefined }
  | { postgres: { url: string }; path?: undefined };

export type StateSummary = StateFileSummary | import("./postgres/summary.js").PostgresStateSummary;

/** How the state is named to people: the file's path, or the database's URL without its password. */
export async function stateName(location: StateLocation): Promise<string> {
  if (location.postgres === undefined) return location.path;
  return (await import("./postgres/url.js")).shownUrl(location.postgres.url);
}

/**
 * Opens the configured store, creating or upgrading its schema. The PostgreSQL client is loaded only
 * when PostgreSQL is configured.
 */
export async function openState(
  location: StateLocation,
  options: { onUpgrade?: (from: number, to: number) => void } = {},
): Promise<StateStore> {
  if (location.postgres === undefined) return openSqliteState(location.path, options);
  const { openPostgresState } = await import("./postgres/postgres-store.js");
  return openPostgresState(location.postgres.url, options);
}

/** The schema version the state holds, read as it is: never created nor upgraded (`sfevents check`). */
export async function inspectState(location: StateLocation): Promise<StateFileInspection> {
  if (location.postgres === undefined) return inspectSqliteState(location.path);
  return (await import("./postgres/summary.js")).inspectPostgresState(location.postgres.url);
}

/** What the state holds, per source, read-only (`sfevents state show`). */
export async function summarizeState(location: StateLocation): Promise<StateSummary> {
  if (location.postgres === undefined) return summarizeSqliteState(location.path);
  return (await import("./postgres/summary.js")).summarizePostgresState(location.postgres.url);
}
