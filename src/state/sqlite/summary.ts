import { statSync } from "node:fs";
import Database from "better-sqlite3";
import { StateError, type SourceSummary } from "../store.js";
import { stateErrorFrom } from "./errors.js";
import { inspectSqliteState } from "./inspect.js";

export interface StateFileSummary {
  path: string;
  /** The database and its write-ahead log, in bytes. */
  bytes: number;
  sources: SourceSummary[];
}

const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());

/**
 * What a state file holds, per source, read-only: it changes nothing. A running collector holds its
 * state exclusively (so that a second one cannot deliver the same files), so this reads the state
 * of a collector that is stopped, and says so otherwise.
 */
export function summarizeSqliteState(path: string): StateFileSummary {
  const inspection = inspectSqliteState(path);
  if (inspection.kind === "absent")
    throw new StateError(
      `There is no state database at ${path} yet: nothing was collected with this state.path.`,
    );
  if (inspection.kind !== "current") {
    throw new StateError(
      `The state database ${path} has schema version ${inspection.version}, which this sfevents does not read here; ${inspection.kind === "older" ? "run `sfevents collect` once to upgrade it" : "use the newer sfevents that wrote it"}.`,
    );
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: 200 });
    const units = db
      .prepare<
        [],
        { source: string; units: number; rows: number; oldest: number | null; newest: number | null }
      >(
        `SELECT source, count(*) AS units, sum(rows) AS rows, min(position_ms) AS oldest, max(position_ms) AS newest
         FROM delivered_units GROUP BY source`,
      )
      .all();
    const checkpoints = db
      .prepare<[], { source: string; value: string; updated_at: string }>(
        "SELECT source, value, updated_at FROM checkpoints",
      )
      .all();
    const fingerprints = db
      .prepare<[], { source: string; n: number }>(
        "SELECT s.source, count(*) AS n FROM row_fingerprints r JOIN scopes s ON s.n = r.scope GROUP BY s.source",
      )
      .all();
    const names = [...new Set([...units.map((u) => u.source), ...checkpoints.map((c) => c.source)])].sort();
    return {
      path,
      bytes: fileSize(path) + fileSize(`${path}-wal`),
      sources: names.map((source) => {
        const u = units.find((x) => x.source === source);
        const c = checkpoints.find((x) => x.source === source);
        return {
          source,
          checkpoint: c?.value,
          checkpointAt: c?.updated_at,
          units: u?.units ?? 0,
          rows: u?.rows ?? 0,
          oldest: iso(u?.oldest ?? null),
          newest: iso(u?.newest ?? null),
          fingerprints: fingerprints.find((x) => x.source === source)?.n ?? 0,
        };
      }),
    };
  } catch (err) {
    throw stateErrorFrom(err, path);
  } finally {
    db?.close();
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
