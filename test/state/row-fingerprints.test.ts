import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DeliveredUnit, openSqliteState, type StateStore } from "../../src/state/index.js";

const SOURCE = "event_log_files:daily";
const day = { source: SOURCE, scope: "Login|Daily|2026-11-20T00:00:00.000+0000" };

function delivered(key: string, rows: number): DeliveredUnit {
  return { ...day, key, position: "2026-11-21T03:00:00.000+0000", rows };
}

describe("row fingerprints", () => {
  let dir: string;
  let state: StateStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sfevents-fp-"));
    state = openSqliteState(join(dir, "state.sqlite"));
  });
  afterEach(() => {
    state.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What the database file holds, read by a second connection once the store has let go of it. */
  function tableSizes(): { scopes: number; files: number; rows: number } {
    state.close();
    const db = new Database(join(dir, "state.sqlite"), { readonly: true });
    const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    const sizes = {
      scopes: count("scopes"),
      files: count("fingerprinted_units"),
      rows: count("row_fingerprints"),
    };
    db.close();
    state = openSqliteState(join(dir, "state.sqlite"));
    return sizes;
  }

  it("recognises rows of a delivered file of the same scope, and only those", () => {
    const first = state.rowFingerprints({ ...day, key: "0AT000000000001" });
    expect([1n, 2n, 3n].map((f) => first.seen(f))).toEqual([false, false, false]);
    state.markDelivered(delivered("0AT000000000001", 3), undefined, first);

    const replacement = state.rowFingerprints({ ...day, key: "0AT000000000002" });
    expect([2n, 3n, 4n].map((f) => replacement.seen(f))).toEqual([true, true, false]);

    const otherDay = state.rowFingerprints({
      ...day,
      scope: "Login|Daily|2026-11-21T00:00:00.000+0000",
      key: "0AT000000000003",
    });
    expect(otherDay.seen(2n)).toBe(false);
    const otherSource = state.rowFingerprints({
      ...day,
      source: "event_log_files:hourly",
      key: "0AT000000000004",
    });
    expect(otherSource.seen(2n)).toBe(false);
    expect(otherDay.seen(2n)).toBe(false);
  });

  it("keeps every fingerprint of a file larger than one write batch", () => {
    const rows = 70_000;
    const big = state.rowFingerprints({ ...day, key: "0AT000000000001" });
    for (let f = 1; f <= rows; f++) expect(big.seen(BigInt(f) * 7_919n)).toBe(false);
    state.markDelivered(delivered("0AT000000000001", rows), undefined, big);
    expect(tableSizes().rows).toBe(rows);

    const replacement = state.rowFingerprints({ ...day, key: "0AT000000000002" });
    let seen = 0;
    for (let f = 1; f <= rows + 1; f++) if (replacement.seen(BigInt(f) * 7_919n)) seen++;
    expect(seen).toBe(rows);
  });

  it("ignores fingerprints of a file that was never acknowledged, and survives a reopen", () => {
    const crashed = state.rowFingerprints({ ...day, key: "0AT000000000001" });
    crashed.seen(7n);
    // A large file writes batches before its acknowledgement; simulate that with markDelivered of
    // another file carrying nothing, then reopen as after a crash.
    state.markDelivered(delivered("0AT000000000009", 0));
    state.close();
    state = openSqliteState(join(dir, "state.sqlite"));
    const next = state.rowFingerprints({ ...day, key: "0AT000000000002" });
    expect(next.seen(7n)).toBe(false);
    state.markDelivered(delivered("0AT000000000002", 1), undefined, next);
    state.close();
    state = openSqliteState(join(dir, "state.sqlite"));
    expect(state.rowFingerprints({ ...day, key: "0AT000000000003" }).seen(7n)).toBe(true);
  });

  it("forgets the fingerprints of pruned files, on disk too", () => {
    const fp = state.rowFingerprints({ ...day, key: "0AT000000000001" });
    fp.seen(5n);
    fp.seen(6n);
    state.markDelivered(delivered("0AT000000000001", 2), undefined, fp);
    expect(tableSizes()).toEqual({ scopes: 1, files: 1, rows: 2 });
    state.prune(SOURCE, new Date("2027-01-01T00:00:00Z"));
    expect(tableSizes()).toEqual({ scopes: 0, files: 0, rows: 0 });
    state.markDelivered(delivered("0AT000000000002", 0));
    expect(state.rowFingerprints({ ...day, key: "0AT000000000003" }).seen(5n)).toBe(false);
  });

  it("starts a file's fingerprints afresh when an unfinished attempt left some", () => {
    const attempt = state.rowFingerprints({ ...day, key: "0AT000000000001" });
    for (let f = 1n; f <= 3n; f++) attempt.seen(f);
    // Written as a large file writes its batches, then the attempt dies before its acknowledgement.
    state.markDelivered(delivered("0AT000000000009", 0), undefined, attempt);
    expect(tableSizes().rows).toBe(3);
    const again = state.rowFingerprints({ ...day, key: "0AT000000000001" });
    again.seen(1n);
    state.markDelivered(delivered("0AT000000000001", 1), undefined, again);
    expect(tableSizes()).toEqual({ scopes: 1, files: 1, rows: 1 });
    const later = state.rowFingerprints({ ...day, key: "0AT000000000002" });
    expect([1n, 2n].map((f) => later.seen(f))).toEqual([true, false]);
  });

  it("upgrades a version-2 state: files and cursors kept, by source, old fingerprints dropped", () => {
    state.close();
    const path = join(dir, "v2.sqlite");
    const old = new Database(path);
    old.exec(`CREATE TABLE schema_version (version INTEGER NOT NULL);
      INSERT INTO schema_version VALUES (2);
      CREATE TABLE delivered_files (id TEXT NOT NULL, created_date TEXT NOT NULL, created_ms INTEGER NOT NULL,
        event_type TEXT NOT NULL, interval TEXT NOT NULL, log_date TEXT NOT NULL, sequence INTEGER NOT NULL,
        length INTEGER NOT NULL, rows INTEGER NOT NULL, delivered_at TEXT NOT NULL,
        PRIMARY KEY (id, created_date)) WITHOUT ROWID;
      CREATE INDEX delivered_files_by_log_date ON delivered_files (event_type, log_date, interval);
      CREATE INDEX delivered_files_by_created ON delivered_files (created_ms);
      CREATE TABLE cursors (source TEXT PRIMARY KEY, created_date TEXT NOT NULL, id TEXT NOT NULL,
        updated_at TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE row_fingerprints (scope TEXT NOT NULL, fingerprint INTEGER NOT NULL, file_id TEXT NOT NULL,
        PRIMARY KEY (scope, fingerprint, file_id)) WITHOUT ROWID;
      CREATE INDEX row_fingerprints_by_file ON row_fingerprints (file_id);
      INSERT INTO delivered_files VALUES ('0AT000000000001', '2026-11-21T03:00:00.000+0000', 1795230000000,
        'Login', 'Daily', '2026-11-20T00:00:00.000+0000', 0, 100, 1, '2026-11-21T04:00:00.000Z');
      INSERT INTO cursors VALUES ('event_log_files:daily', '2026-11-21T03:00:00.000+0000', '0AT000000000001', '2026-11-21T04:00:00.000Z');
      INSERT INTO row_fingerprints VALUES ('Login|Daily|2026-11-20T00:00:00.000+0000', 5, '0AT000000000001');`);
    old.close();
    state = openSqliteState(path);
    expect(state.isDelivered(SOURCE, "0AT000000000001@2026-11-21T03:00:00.000+0000")).toBe(true);
    expect(JSON.parse(state.checkpoint("event_log_files:daily")!)).toEqual({
      createdDate: "2026-11-21T03:00:00.000+0000",
      id: "0AT000000000001",
    });
    const next = state.rowFingerprints({ ...day, key: "0AT000000000002" });
    expect(next.seen(5n)).toBe(false);
  });
});
