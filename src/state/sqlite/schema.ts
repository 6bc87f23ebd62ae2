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
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the schema to the current version in one transaction, so a crash leaves the old one whole. */
export function migrate(db: Database, path: string): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  db.transaction(() => {
    const row = db.prepare("SELECT version FROM schema_version").get() as { version: number } | undefined;
    const current = row?.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new StateError(
        `The state database ${path} was written by a newer sfevents (schema version ${current}, this one knows up to ${SCHEMA_VERSION}); upgrade sfevents, or give this one another state.path.`,
      );
    }
    for (let version = current; version < SCHEMA_VERSION; version++) db.exec(MIGRATIONS[version]);
    if (row === undefined) db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(SCHEMA_VERSION);
    else if (current !== SCHEMA_VERSION)
      db.prepare("UPDATE schema_version SET version = ?").run(SCHEMA_VERSION);
  }).exclusive();
}
