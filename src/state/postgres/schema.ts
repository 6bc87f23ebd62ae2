import type { PoolClient } from "pg";
import { StateError } from "../store.js";

/**
 * The PostgreSQL schema as an ordered list of migrations, as for SQLite: migration N brings the
 * database from version N to N + 1, a released one is never edited. Tables are prefixed with
 * `sfevents_`, as the database may be shared with other applications. The layout follows the SQLite
 * store's schema 5, without what only an upgraded 0.1 file holds (MD5 fingerprints, attempts'
 * fingerprints written before their unit was delivered: here a unit's fingerprints are written
 * with it). Migration 2 adds the leases collectors divide the work with (see leases.ts).
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE sfevents_delivered_units (
     source text NOT NULL,
     unit text NOT NULL,
     -- A number for the unit, so that each of its row fingerprints stores an integer.
     n bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
     scope text,
     -- The unit's position as epoch milliseconds, so pruning compares instants, not spellings of them.
     position_ms bigint NOT NULL,
     rows bigint NOT NULL,
     detail text,
     delivered_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (source, unit)
   );
   CREATE INDEX sfevents_delivered_units_by_scope ON sfevents_delivered_units (source, scope);
   CREATE INDEX sfevents_delivered_units_by_position ON sfevents_delivered_units (source, position_ms);
   CREATE TABLE sfevents_checkpoints (
     source text PRIMARY KEY,
     value text NOT NULL,
     updated_at timestamptz NOT NULL
   );
   -- The rows units can share (an Event Log File: EventType|Interval|LogDate), numbered.
   CREATE TABLE sfevents_scopes (
     n integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     source text NOT NULL,
     scope text NOT NULL,
     UNIQUE (source, scope)
   );
   -- Keyed by scope first, so a unit's lookups (one range read) and inserts stay in its scope's pages.
   CREATE TABLE sfevents_row_fingerprints (
     scope integer NOT NULL,
     fingerprint bigint NOT NULL,
     unit bigint NOT NULL,
     PRIMARY KEY (scope, fingerprint)
   );`,
  `-- One row per work key (a source of an org) once a collector asked for it; holder NULL: released.
   CREATE TABLE sfevents_leases (
     work_key text PRIMARY KEY,
     holder text,
     -- Grows on every acquisition: the fence a commit is checked against.
     token bigint NOT NULL,
     expires_at timestamptz NOT NULL,
     acquired_at timestamptz
   );
   -- The collectors alive, so that each takes its share of the work and no more.
   CREATE TABLE sfevents_collectors (
     holder text PRIMARY KEY,
     alive_until timestamptz NOT NULL
   );`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Any number: the advisory lock that keeps two collectors starting together from migrating twice. */
const MIGRATION_LOCK = 0x5fe7e175;

/**
 * Brings the schema to the current version in one transaction (PostgreSQL's DDL is transactional),
 * so a failure leaves the old one whole. Returns the version the database had, when it was an
 * older one (0: a new database).
 */
export async function migrate(client: PoolClient, where: string): Promise<number | undefined> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query("CREATE TABLE IF NOT EXISTS sfevents_schema_version (version integer NOT NULL)");
    const current = await schemaVersion(client);
    if (current > SCHEMA_VERSION) {
      throw new StateError(
        `${where} was written by a newer sfevents (schema version ${current}, this one knows up to ${SCHEMA_VERSION}); upgrade sfevents, or point this one at another database.`,
      );
    }
    for (let version = current; version < SCHEMA_VERSION; version++) await client.query(MIGRATIONS[version]);
    if (current !== SCHEMA_VERSION) {
      await client.query("DELETE FROM sfevents_schema_version");
      await client.query("INSERT INTO sfevents_schema_version (version) VALUES ($1)", [SCHEMA_VERSION]);
    }
    await client.query("COMMIT");
    return current < SCHEMA_VERSION ? current : undefined;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
}

/** The schema version the database holds (0 without the table or its row). */
export async function schemaVersion(client: PoolClient): Promise<number> {
  const table = await client.query<{ t: string | null }>(
    "SELECT to_regclass('sfevents_schema_version')::text AS t",
  );
  if (table.rows[0].t === null) return 0;
  const row = await client.query<{ version: number }>("SELECT version FROM sfevents_schema_version");
  return row.rows[0]?.version ?? 0;
}
