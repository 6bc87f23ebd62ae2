import type { Database } from "better-sqlite3";
import { StateError } from "../store.js";

/**
 * The schema as an ordered list of migrations: migration N brings the database from version N to
 * N + 1. A released migration is never edited; a change of schema is a new entry at the end.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE delivered_files (
     id TEXT NOT NULL,
     created_date TEXT NOT NULL,
     -- CreatedDate as epoch milliseconds, so pruning compares instants, not spellings of them.
     created_ms INTEGER NOT NULL,
     event_type TEXT NOT NULL,
     interval TEXT NOT NULL,
     log_date TEXT NOT NULL,
     sequence INTEGER NOT NULL,
     length INTEGER NOT NULL,
     rows INTEGER NOT NULL,
     delivered_at TEXT NOT NULL,
     PRIMARY KEY (id, created_date)
   ) WITHOUT ROWID;
   CREATE INDEX delivered_files_by_log_date ON delivered_files (event_type, log_date, interval);
   CREATE INDEX delivered_files_by_created ON delivered_files (created_ms);
   CREATE TABLE cursors (
     source TEXT PRIMARY KEY,
     created_date TEXT NOT NULL,
     id TEXT NOT NULL,
     updated_at TEXT NOT NULL
   ) WITHOUT ROWID;`,
  // Rows of delivered files, by fingerprint, so a file that repeats rows already delivered (a daily
  // file replaced with the full row set, a latent hourly file) delivers only the new ones.
  `CREATE TABLE row_fingerprints (
     -- EventType|Interval|LogDate: the rows one file can share with another.
     scope TEXT NOT NULL,
     fingerprint INTEGER NOT NULL,
     file_id TEXT NOT NULL,
     PRIMARY KEY (scope, fingerprint, file_id)
   ) WITHOUT ROWID;
   CREATE INDEX row_fingerprints_by_file ON row_fingerprints (file_id);`,
  // The same, several times smaller: a row cost its scope and file Id as text keys in two B-trees
  // (about 170 bytes on disk per delivered row); now three integers in one. Keyed by scope first, so
  // a file's inserts and lookups stay within its scope's pages. Fingerprints recorded before the
  // upgrade are dropped: a later file repeating rows delivered before it may deliver them again (at
  // least once, never lost).
  `DROP TABLE row_fingerprints;
   -- EventType|Interval|LogDate: the rows one file can share with another.
   CREATE TABLE fingerprint_scopes (
     n INTEGER PRIMARY KEY,
     scope TEXT NOT NULL UNIQUE
   );
   -- A number for each file whose rows are fingerprinted, so that each row stores an integer.
   CREATE TABLE fingerprint_files (
     n INTEGER PRIMARY KEY,
     file_id TEXT NOT NULL UNIQUE,
     scope INTEGER NOT NULL
   );
   CREATE TABLE row_fingerprints (
     scope INTEGER NOT NULL,
     fingerprint INTEGER NOT NULL,
     file INTEGER NOT NULL,
     PRIMARY KEY (scope, fingerprint)
   ) WITHOUT ROWID;`,
  // Keyed by source, without the columns only Event Log Files have: a delivered unit is a source's
  // key with its scope and position (an Event Log File: Id@CreatedDate, EventType|Interval|LogDate,
  // CreatedDate), and a checkpoint is the source's own JSON. Every row of the 0.1 tables is carried
  // over: a file's source is its interval's (what the 0.1 collector named its cursors), its scope
  // and fingerprints stay as they were, so nothing delivered is sent again and nothing is missed.
  // Fingerprints of attempts that never finished had no delivered file and are dropped, as pruning
  // would have dropped them.
  `CREATE TABLE delivered_units (
     source TEXT NOT NULL,
     unit TEXT NOT NULL,
     scope TEXT,
     -- The unit's position (an Event Log File's CreatedDate) as epoch milliseconds, for pruning.
     position_ms INTEGER NOT NULL,
     rows INTEGER NOT NULL,
     detail TEXT,
     delivered_at TEXT NOT NULL,
     PRIMARY KEY (source, unit)
   ) WITHOUT ROWID;
   CREATE INDEX delivered_units_by_scope ON delivered_units (source, scope);
   CREATE INDEX delivered_units_by_position ON delivered_units (source, position_ms);
   INSERT INTO delivered_units (source, unit, scope, position_ms, rows, detail, delivered_at)
     SELECT CASE interval WHEN 'Hourly' THEN 'event_log_files:hourly' ELSE 'event_log_files:daily' END,
            id || '@' || created_date, event_type || '|' || interval || '|' || log_date, created_ms, rows,
            json_object('eventType', event_type, 'interval', interval, 'logDate', log_date,
                        'createdDate', created_date, 'sequence', sequence, 'length', length),
            delivered_at
     FROM delivered_files;
   CREATE TABLE checkpoints (
     source TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     updated_at TEXT NOT NULL
   ) WITHOUT ROWID;
   INSERT INTO checkpoints (source, value, updated_at)
     SELECT source, json_object('createdDate', created_date, 'id', id), updated_at FROM cursors;
   DROP TABLE cursors;
   CREATE TABLE scopes (
     n INTEGER PRIMARY KEY,
     source TEXT NOT NULL,
     scope TEXT NOT NULL,
     UNIQUE (source, scope)
   );
   INSERT INTO scopes (n, source, scope)
     SELECT n, CASE WHEN scope LIKE '%|Hourly|%' THEN 'event_log_files:hourly' ELSE 'event_log_files:daily' END,
            scope
     FROM fingerprint_scopes;
   CREATE TABLE fingerprinted_units (
     n INTEGER PRIMARY KEY,
     source TEXT NOT NULL,
     unit TEXT NOT NULL,
     scope INTEGER NOT NULL,
     UNIQUE (source, unit)
   );
   INSERT INTO fingerprinted_units (n, source, unit, scope)
     SELECT f.n, s.source, d.id || '@' || d.created_date, f.scope
     FROM fingerprint_files f JOIN scopes s ON s.n = f.scope JOIN delivered_files d ON d.id = f.file_id;
   DELETE FROM row_fingerprints WHERE file NOT IN (SELECT n FROM fingerprinted_units);
   DROP TABLE fingerprint_files;
   DROP TABLE fingerprint_scopes;
   DROP TABLE delivered_files;`,
  // A row's fingerprint becomes its identity, the first 64 bits of SHA-256 (src/core/identity.ts),
  // which event.id carries too; until now it was 64 bits of MD5. The fingerprints already stored
  // stay, and their units are marked: while a scope keeps one of them, a row is also looked up by
  // its MD5 fingerprint among theirs, so a later file of that scope still skips the rows they
  // delivered. Units fingerprinted from now on store SHA-256 fingerprints.
  `ALTER TABLE fingerprinted_units ADD COLUMN md5 INTEGER NOT NULL DEFAULT 0;
   UPDATE fingerprinted_units SET md5 = 1;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** A schema version no sfevents writes (negative, not a whole number) means a damaged database. */
export function checkSchemaVersion(version: unknown, path: string): void {
  if (typeof version === "number" && Number.isInteger(version) && version >= 0) return;
  throw new StateError(
    `The state database ${path} is damaged: its schema version ${String(version)} is one no sfevents writes. Restore it from a backup, or move it aside to start over: files within the lookback will then be collected again.`,
  );
}

/**
 * Brings the schema to the current version in one transaction, so a crash leaves the old one whole.
 * Returns the version the database had, when it was an older one (0: a new database).
 */
export function migrate(db: Database, path: string): number | undefined {
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  return db
    .transaction(() => {
      const row = db.prepare("SELECT version FROM schema_version").get() as { version: number } | undefined;
      const current = row?.version ?? 0;
      checkSchemaVersion(current, path);
      if (current > SCHEMA_VERSION) {
        throw new StateError(
          `The state database ${path} was written by a newer sfevents (schema version ${current}, this one knows up to ${SCHEMA_VERSION}); upgrade sfevents, or give this one another state.path.`,
        );
      }
      for (let version = current; version < SCHEMA_VERSION; version++) db.exec(MIGRATIONS[version]);
      if (row === undefined)
        db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(SCHEMA_VERSION);
      else if (current !== SCHEMA_VERSION)
        db.prepare("UPDATE schema_version SET version = ?").run(SCHEMA_VERSION);
      return current < SCHEMA_VERSION ? current : undefined;
    })
    .exclusive();
}
