import pg from "pg";
import type { StateFileInspection } from "../sqlite/inspect.js";
import { StateError, type SourceSummary } from "../store.js";
import { stateErrorFromPg } from "./errors.js";
import { SCHEMA_VERSION, schemaVersion } from "./schema.js";
import { shownUrl } from "./url.js";

export interface PostgresStateSummary {
  /** The database's URL, without its password. */
  url: string;
  /** The sfevents_ tables and their indexes, in bytes. */
  bytes: number;
  sources: SourceSummary[];
}

/** Runs a read-only look at the database on one connection of its own: it creates and migrates nothing. */
async function reading<T>(url: string, look: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 10_000 });
  pool.on("error", () => {});
  try {
    const client = await pool.connect();
    try {
      await client.query("BEGIN READ ONLY");
      return await look(client);
    } finally {
      client.release(true);
    }
  } catch (err) {
    throw stateErrorFromPg(err, url);
  } finally {
    await pool.end();
  }
}

/** The database's schema version, for `sfevents check`: absent when sfevents never wrote there. */
export function inspectPostgresState(url: string): Promise<StateFileInspection> {
  return reading(url, async (client) => {
    const version = await schemaVersion(client);
    if (version === 0) return { kind: "absent" };
    if (version === SCHEMA_VERSION) return { kind: "current" };
    return version > SCHEMA_VERSION ? { kind: "newer", version } : { kind: "older", version };
  });
}

/** What the database holds, per source, for `sfevents state show`. Read-only. */
export function summarizePostgresState(url: string): Promise<PostgresStateSummary> {
  const where = `The PostgreSQL state database ${shownUrl(url)}`;
  return reading(url, async (client) => {
    const version = await schemaVersion(client);
    if (version === 0)
      throw new StateError(`${where} holds no sfevents state yet: nothing was collected into it.`);
    if (version !== SCHEMA_VERSION)
      throw new StateError(
        `${where} has schema version ${version}, which this sfevents does not read here; ${version < SCHEMA_VERSION ? "run `sfevents collect` once to upgrade it" : "use the newer sfevents that wrote it"}.`,
      );
    const units = await client.query<{
      source: string;
      units: number;
      rows: string;
      oldest: string;
      newest: string;
    }>(
      `SELECT source, count(*)::integer AS units, sum(rows) AS rows, min(position_ms) AS oldest, max(position_ms) AS newest
       FROM sfevents_delivered_units GROUP BY source`,
    );
    const checkpoints = await client.query<{ source: string; value: string; updated_at: Date }>(
      "SELECT source, value, updated_at FROM sfevents_checkpoints",
    );
    const fingerprints = await client.query<{ source: string; n: number }>(
      `SELECT s.source, count(*)::integer AS n FROM sfevents_row_fingerprints r
       JOIN sfevents_scopes s ON s.n = r.scope GROUP BY s.source`,
    );
    const size = await client.query<{ bytes: string | null }>(
      `SELECT sum(pg_total_relation_size(c.oid)) AS bytes FROM pg_class c
       WHERE c.relkind = 'r' AND c.relname LIKE 'sfevents\\_%' AND pg_table_is_visible(c.oid)`,
    );
    const names = [...new Set([...units.rows, ...checkpoints.rows].map((r) => r.source))].sort();
    return {
      url: shownUrl(url),
      bytes: Number(size.rows[0].bytes ?? 0),
      sources: names.map((source) => {
        const u = units.rows.find((x) => x.source === source);
        const c = checkpoints.rows.find((x) => x.source === source);
        return {
          source,
          checkpoint: c?.value,
          checkpointAt: c?.updated_at.toISOString(),
          units: u?.units ?? 0,
          rows: Number(u?.rows ?? 0),
          oldest: u === undefined ? undefined : new Date(Number(u.oldest)).toISOString(),
          newest: u === undefined ? undefined : new Date(Number(u.newest)).toISOString(),
          fingerprints: fingerprints.rows.find((x) => x.source === source)?.n ?? 0,
        };
      }),
    };
  });
}
