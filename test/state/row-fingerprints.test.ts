import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { eventFingerprint } from "../../src/core/identity.js";
import { type DeliveredUnit, openSqliteState, type StateStore } from "../../src/state/index.js";
import { md5Fingerprint } from "../../src/state/sqlite/md5-fingerprint.js";

// Counted, to tell when the store computes the MD5 fingerprints of schema 4 and earlier.
vi.mock("../../src/state/sqlite/md5-fingerprint.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../src/state/sqlite/md5-fingerprint.js")>();
  return { md5Fingerprint: vi.fn(actual.md5Fingerprint) };
});

const SOURCE = "event_log_files:daily";
const day = { source: SOURCE, scope: "Login|Daily|2026-11-20T00:00:00.000+0000" };

/** A row's raw event, the text the store fingerprints. */
const row = (n: number) => `{"EVENT_TYPE":"Login","N":"${n}"}`;

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
  afterEach(async () => {
    await state.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What the database file holds, read by a second connection once the store has let go of it. */
  async function tableSizes(): Promise<{ scopes: number; files: number; rows: number }> {
    await state.close();
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

  it("forgets the fingerprints of pruned files, on disk too", async () => {
    const fp = await state.rowFingerprints({ ...day, key: "0AT000000000001" });
    fp.seen(row(5));
    fp.seen(row(6));
    await state.markDelivered(delivered("0AT000000000001", 2), undefined, fp);
    expect(await tableSizes()).toEqual({ scopes: 1, files: 1, rows: 2 });
    await state.prune(SOURCE, new Date("2027-01-01T00:00:00Z"));
    expect(await tableSizes()).toEqual({ scopes: 0, files: 0, rows: 0 });
    await state.markDelivered(delivered("0AT000000000002", 0));
    expect((await state.rowFingerprints({ ...day, key: "0AT000000000003" })).seen(row(5))).toBe(false);
  });

  it("starts a file's fingerprints afresh when an unfinished attempt left some", async () => {
    const attempt = await state.rowFingerprints({ ...day, key: "0AT000000000001" });
    for (let n = 1; n <= 3; n++) attempt.seen(row(n));
    // Written as a large file writes its batches, then the attempt dies before its acknowledgement.
    await state.markDelivered(delivered("0AT000000000009", 0), undefined, attempt);
    expect((await tableSizes()).rows).toBe(3);
    const again = await state.rowFingerprints({ ...day, key: "0AT000000000001" });
    again.seen(row(1));
    await state.markDelivered(delivered("0AT000000000001", 1), undefined, again);
    expect(await tableSizes()).toEqual({ scopes: 1, files: 1, rows: 1 });
    const later = await state.rowFingerprints({ ...day, key: "0AT000000000002" });
    expect([1, 2].map((n) => later.seen(row(n)))).toEqual([true, false]);
  });

  it("upgrades a version-2 state: files and cursors kept, by source, old fingerprints dropped", async () => {
    await state.close();
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
      INSERT INTO row_fingerprints VALUES ('Login|Daily|2026-11-20T00:00:00.000+0000', ${md5Fingerprint(row(5))}, '0AT000000000001');`);
    old.close();
    state = openSqliteState(path);
    expect(await state.isDelivered(SOURCE, "0AT000000000001@2026-11-21T03:00:00.000+0000")).toBe(true);
    expect(JSON.parse((await state.checkpoint("event_log_files:daily"))!)).toEqual({
      createdDate: "2026-11-21T03:00:00.000+0000",
      id: "0AT000000000001",
    });
    const next = await state.rowFingerprints({ ...day, key: "0AT000000000002" });
    expect(next.seen(row(5))).toBe(false);
  });

  describe("fingerprinted with MD5 by schema 4 and earlier", () => {
    const v4 = () => join(dir, "v4.sqlite");
    const position = "2026-11-21T03:00:00.000+0000";

    /**
     * A schema-4 state as sfevents 0.1 (upgraded) left it: unit 0AT000000000001 delivered with the
     * MD5 fingerprints of rows 1 to 3, and 0AT000000000009, an attempt that never finished, with
     * that of row 9.
     */
    async function writeSchema4(): Promise<void> {
      await state.close();
      const old = new Database(v4());
      old.exec(`CREATE TABLE schema_version (version INTEGER NOT NULL);
        INSERT INTO schema_version VALUES (4);
        CREATE TABLE delivered_units (source TEXT NOT NULL, unit TEXT NOT NULL, scope TEXT,
          position_ms INTEGER NOT NULL, rows INTEGER NOT NULL, detail TEXT, delivered_at TEXT NOT NULL,
          PRIMARY KEY (source, unit)) WITHOUT ROWID;
        CREATE INDEX delivered_units_by_scope ON delivered_units (source, scope);
        CREATE INDEX delivered_units_by_position ON delivered_units (source, position_ms);
        CREATE TABLE checkpoints (source TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE scopes (n INTEGER PRIMARY KEY, source TEXT NOT NULL, scope TEXT NOT NULL, UNIQUE (source, scope));
        CREATE TABLE fingerprinted_units (n INTEGER PRIMARY KEY, source TEXT NOT NULL, unit TEXT NOT NULL,
          scope INTEGER NOT NULL, UNIQUE (source, unit));
        CREATE TABLE row_fingerprints (scope INTEGER NOT NULL, fingerprint INTEGER NOT NULL, file INTEGER NOT NULL,
          PRIMARY KEY (scope, fingerprint)) WITHOUT ROWID;
        INSERT INTO delivered_units VALUES ('${SOURCE}', '0AT000000000001', '${day.scope}', ${Date.parse(position)},
          3, NULL, '2026-11-21T04:00:00.000Z');
        INSERT INTO scopes VALUES (1, '${SOURCE}', '${day.scope}');
        INSERT INTO fingerprinted_units VALUES (1, '${SOURCE}', '0AT000000000001', 1), (2, '${SOURCE}', '0AT000000000009', 1);
        INSERT INTO row_fingerprints VALUES (1, ${md5Fingerprint(row(1))}, 1), (1, ${md5Fingerprint(row(2))}, 1),
          (1, ${md5Fingerprint(row(3))}, 1), (1, ${md5Fingerprint(row(9))}, 2);`);
      old.close();
    }

    /** The fingerprints stored for a unit, and whether it is marked as holding MD5's. */
    async function stored(key: string): Promise<{ fingerprints: bigint[]; md5: number }> {
      await state.close();
      const db = new Database(v4(), { readonly: true });
      db.defaultSafeIntegers(true);
      const unit = db.prepare("SELECT n, md5 FROM fingerprinted_units WHERE unit = ?").get(key) as {
        n: bigint;
        md5: bigint;
      };
      const fingerprints = db
        .prepare("SELECT fingerprint FROM row_fingerprints WHERE file = ? ORDER BY fingerprint")
        .pluck()
        .all(unit.n) as bigint[];
      db.close();
      state = openSqliteState(v4());
      return { fingerprints, md5: Number(unit.md5) };
    }

    const sorted = (values: bigint[]) => [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

    it("keeps the rows they delivered out of a later unit of the scope, which stores SHA-256 fingerprints", async () => {
      await writeSchema4();
      const upgrades: [number, number][] = [];
      state = openSqliteState(v4(), { onUpgrade: (from, to) => upgrades.push([from, to]) });
      expect(upgrades).toEqual([[4, 5]]);

      const hourLater = await state.rowFingerprints({ ...day, key: "0AT000000000002" });
      expect([2, 3, 4, 5].map((n) => hourLater.seen(row(n)))).toEqual([true, true, false, false]);
      await state.markDelivered(delivered("0AT000000000002", 2), undefined, hourLater);
      expect(await stored("0AT000000000002")).toEqual({
        fingerprints: sorted([eventFingerprint(row(4)), eventFingerprint(row(5))]),
        md5: 0,
      });
      expect((await stored("0AT000000000001")).md5).toBe(1);

      // Across a reopen, the MD5 unit's rows and the new unit's are both found.
      const daily = await state.rowFingerprints({ ...day, key: "0AT000000000003" });
      expect([1, 4, 6].map((n) => daily.seen(row(n)))).toEqual([true, true, false]);
    });

    it("computes MD5 fingerprints only while a unit holding them remains in the scope", async () => {
      await writeSchema4();
      state = openSqliteState(v4());
      const md5 = vi.mocked(md5Fingerprint);
      md5.mockClear();
      const otherDay = await state.rowFingerprints({
        ...day,
        scope: "Login|Daily|2026-11-21T00:00:00.000+0000",
        key: "0AT000000000004",
      });
      otherDay.seen(row(1));
      expect(md5).not.toHaveBeenCalled();
      (await state.rowFingerprints({ ...day, key: "0AT000000000002" })).seen(row(1));
      expect(md5).toHaveBeenCalledTimes(1);

      md5.mockClear();
      await state.prune(SOURCE, new Date("2027-01-01T00:00:00Z"));
      const later = await state.rowFingerprints({ ...day, key: "0AT000000000005" });
      later.seen(row(7));
      await state.markDelivered(
        { ...delivered("0AT000000000005", 1), position: "2027-01-02T00:00:00.000+0000" },
        undefined,
        later,
      );
      const afterPrune = await state.rowFingerprints({ ...day, key: "0AT000000000006" });
      expect([7, 1].map((n) => afterPrune.seen(row(n)))).toEqual([true, false]);
      expect(md5).not.toHaveBeenCalled();
    });

    it("gives an attempt left unfinished before the upgrade SHA-256 fingerprints when it is collected again", async () => {
      await writeSchema4();
      state = openSqliteState(v4());
      const again = await state.rowFingerprints({ ...day, key: "0AT000000000009" });
      expect(again.seen(row(9))).toBe(false);
      await state.markDelivered(delivered("0AT000000000009", 1), undefined, again);
      expect(await stored("0AT000000000009")).toEqual({ fingerprints: [eventFingerprint(row(9))], md5: 0 });
      expect((await state.rowFingerprints({ ...day, key: "0AT000000000010" })).seen(row(9))).toBe(true);
    });
  });
});
