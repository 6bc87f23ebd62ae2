import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { stateErrorFrom } from "./errors.js";
import { checkSchemaVersion, SCHEMA_VERSION } from "./schema.js";

/** What a look at a state file tells without changing it (for `sfevents check`). */
export type StateFileInspection =
  | { kind: "absent" }
  | { kind: "current" }
  | { kind: "older"; version: number }
  | { kind: "newer"; version: number };

/**
 * Reads a state file's schema version, read-only: it creates nothing, migrates nothing. A file that
 * cannot be read (damaged, locked by a running collector) is a StateError naming it.
 */
export function inspectSqliteState(path: string): StateFileInspection {
  if (!existsSync(path)) return { kind: "absent" };
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: 200 });
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'schema_version'").get();
    const version = table
      ? ((db.prepare("SELECT version FROM schema_version").pluck().get() as number | undefined) ?? 0)
      : 0;
    checkSchemaVersion(version, path);
    if (version === SCHEMA_VERSION) return { kind: "current" };
    return version > SCHEMA_VERSION ? { kind: "newer", version } : { kind: "older", version };
  } catch (err) {
    throw stateErrorFrom(err, path);
  } finally {
    db?.close();
  }
}
