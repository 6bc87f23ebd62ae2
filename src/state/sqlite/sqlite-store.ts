import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import Database, { type Statement } from "better-sqlite3";
import {
  type DeliveredUnit,
  type FingerprintUnit,
  type RowFingerprints,
  StateError,
  type StateStore,
} from "../store.js";
import { eventFingerprint } from "../../core/identity.js";
import { stateErrorFrom } from "./errors.js";
import { md5Fingerprint } from "./md5-fingerprint.js";
import { migrate, SCHEMA_VERSION } from "./schema.js";

export interface SqliteStateOptions {
  /** How long to wait for a lock held by another process before giving up with a StateError. */
  busyTimeoutMs?: number;
  /** Told when an existing database written by an earlier sfevents was brought to this schema. */
  onUpgrade?: (from: number, to: number) => void;
}

const DEFAULT_BUSY_TIMEOUT_MS = 2_000;

/**
 * Opens (creating it if needed) the SQLite state database at `path`. The connection holds an
 * exclusive lock for its whole life, so a second collector pointed at the same file stops at start
 * with a clear error instead of delivering the same files twice.
 */
export function openSqliteState(path: string, options: SqliteStateOptions = {}): StateStore {
  if (isDirectory(path)) {
    throw new StateError(
      `state.path ${path} is a directory; give the path of a file, for example ${path.replace(/\/+$/, "")}/sfevents.sqlite.`,
    );
  }
  let db: Database.Database | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    assertWritable(path);
    db = new Database(path, { timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
    // Exclusive before WAL: the WAL index then lives in this process's memory, and the lock taken
    // by the first read below is kept until close.
    db.pragma("locking_mode = EXCLUSIVE");
    db.pragma("journal_mode = WAL");
    // NORMAL, not FULL: in WAL mode a commit then survives any crash of the process (kill -9
    // included) but not a power cut, which may take the last few checkpoints with it. Losing a
    // checkpoint only means re-delivering files the outputs already acknowledged, never losing a
    // row, so at-least-once holds; FULL would cost an fsync per delivered file, blocking the event
    // loop (better-sqlite3 is synchronous): about 10 ms per file on the benchmark's disk.
    db.pragma("synchronous = NORMAL");
    // A damaged page would otherwise surface mid-run; the table is small, so checking is cheap.
    if (db.pragma("quick_check", { simple: true }) !== "ok") {
      throw Object.assign(new Error("SQLite's quick_check found damaged pages"), { code: "SQLITE_CORRUPT" });
    }
    const upgradedFrom = migrate(db, path);
    if (upgradedFrom !== undefined && upgradedFrom > 0) options.onUpgrade?.(upgradedFrom, SCHEMA_VERSION);
    return new SqliteStateStore(db, path);
  } catch (err) {
    db?.close();
    throw stateErrorFrom(err, path);
  }
}

/**
 * SQLite opens a file it cannot write read-only, and the switch to WAL then fails with a bare
 * "disk I/O error" (SQLITE_IOERR_LOCK): ask the file system first, which can say why.
 */
function assertWritable(path: string): void {
  try {
    accessSync(path, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return; // a new database, created in the directory made above
    const why =
      code === "EROFS" ? "on a read-only file system" : code === "EACCES" ? "permission denied" : undefined;
    if (why === undefined) throw err;
    throw Object.assign(new Error(why), { code: "SQLITE_READONLY", cause: err });
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function epochMs(position: string, path: string): number {
  const ms = Date.parse(position);
  if (Number.isNaN(ms)) {
    throw new StateError(
      `Cannot record a unit in ${path}: its position "${position}" is not an ISO 8601 date-time.`,
    );
  }
  return ms;
}

interface UnitRow {
  unit: string;
  scope: string | null;
  position_ms: number;
  rows: number;
  detail: string | null;
}

/**
 * better-sqlite3 answers synchronously: each method does its work before it returns an already
 * settled promise, so an await costs a microtask, and a row's seen() looks its fingerprint up in
 * the file as it comes (no scope is ever held in memory).
 */
class SqliteStateStore implements StateStore {
  private readonly selectDelivered: Statement<[string, string], unknown>;
  private readonly insertDelivered: Statement<unknown[], unknown>;
  private readonly selectCheckpoint: Statement<[string], string>;
  private readonly upsertCheckpoint: Statement<[string, string, string], unknown>;
  private readonly selectIn: Statement<[string, string], UnitRow>;
  private readonly deleteBefore: Statement<[string, number], unknown>;
  private readonly deleteOrphanFingerprints: (source: string) => void;
  private readonly countFrom: Statement<[string, number], number>;
  private readonly selectNewest: Statement<[string], number | null>;
  private readonly rewindTo: (source: string, fromMs: number, checkpoint: string) => number;
  private readonly fingerprintTables: FingerprintTables;
  private readonly recordDelivery: (
    unit: DeliveredUnit,
    checkpoint?: string,
    fingerprints?: RowFingerprints,
  ) => void;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
  ) {
    this.selectDelivered = db.prepare("SELECT 1 FROM delivered_units WHERE source = ? AND unit = ?");
    this.fingerprintTables = new FingerprintTables(db);
    this.insertDelivered = db.prepare(
      `INSERT OR REPLACE INTO delivered_units (source, unit, scope, position_ms, rows, detail, delivered_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.selectCheckpoint = db
      .prepare<[string], string>("SELECT value FROM checkpoints WHERE source = ?")
      .pluck();
    this.upsertCheckpoint = db.prepare(
      `INSERT INTO checkpoints (source, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (source) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    );
    // Left to itself, SQLite reads this through the position index, which spares it the sort but
    // walks every unit of the source: 4.6 ms per file at 12,000 units, so that a month's catch-up
    // was quadratic (2.5 times slower at full scale). A scope holds a few units: sorting them is free.
    this.selectIn = db.prepare(
      `SELECT unit, scope, position_ms, rows, detail FROM delivered_units INDEXED BY delivered_units_by_scope
       WHERE source = ? AND scope = ? ORDER BY position_ms, unit`,
    );
    this.deleteBefore = db.prepare("DELETE FROM delivered_units WHERE source = ? AND position_ms < ?");
    // Only the source's own: it prunes or rewinds between its cycles, while the other sources of the
    // store (other orgs, other objects) may have units in flight, fingerprinted and not yet
    // delivered. Taking those made the units after them in their scope miss their rows and deliver
    // them again (a collector of two orgs did).
    const orphans = db.prepare<[string], { n: number; scope: number }>(
      `SELECT n, scope FROM fingerprinted_units f WHERE source = ?
         AND NOT EXISTS (SELECT 1 FROM delivered_units d WHERE d.source = f.source AND d.unit = f.unit)`,
    );
    const deleteRows = db.prepare("DELETE FROM row_fingerprints WHERE scope = ? AND file = ?");
    const deleteUnit = db.prepare("DELETE FROM fingerprinted_units WHERE n = ?");
    const deleteEmptyScopes = db.prepare(
      "DELETE FROM scopes WHERE source = ? AND n NOT IN (SELECT scope FROM fingerprinted_units)",
    );
    this.deleteOrphanFingerprints = db.transaction((source: string) => {
      for (const unit of orphans.all(source)) {
        deleteRows.run(unit.scope, unit.n);
        deleteUnit.run(unit.n);
      }
      deleteEmptyScopes.run(source);
    });
    this.countFrom = db
      .prepare<[string, number], number>(
        "SELECT count(*) FROM delivered_units WHERE source = ? AND position_ms >= ?",
      )
      .pluck();
    this.selectNewest = db
      .prepare<[string], number | null>("SELECT max(position_ms) FROM delivered_units WHERE source = ?")
      .pluck();
    const deleteFrom = db.prepare("DELETE FROM delivered_units WHERE source = ? AND position_ms >= ?");
    this.rewindTo = db.transaction((source: string, fromMs: number, checkpoint: string) => {
      const forgotten = deleteFrom.run(source, fromMs).changes;
      this.upsertCheckpoint.run(source, checkpoint, new Date().toISOString());
      this.deleteOrphanFingerprints(source);
      return forgotten;
    });
    this.recordDelivery = db.transaction(
      (unit: DeliveredUnit, checkpoint?: string, fingerprints?: RowFingerprints) => {
        const now = new Date().toISOString();
        if (fingerprints instanceof SqliteRowFingerprints) fingerprints.writePending();
        this.insertDelivered.run(
          unit.source,
          unit.key,
          unit.scope ?? null,
          epochMs(unit.position, this.path),
          unit.rows,
          unit.detail === undefined ? null : JSON.stringify(unit.detail),
          now,
        );
        if (checkpoint !== undefined) this.upsertCheckpoint.run(unit.source, checkpoint, now);
      },
    );
  }

  async isDelivered(source: string, key: string): Promise<boolean> {
    return this.guard(() => this.selectDelivered.get(source, key) !== undefined);
  }

  async markDelivered(
    unit: DeliveredUnit,
    checkpoint?: string,
    fingerprints?: RowFingerprints,
  ): Promise<void> {
    this.guard(() => this.recordDelivery(unit, checkpoint, fingerprints));
  }

  async checkpoint(source: string): Promise<string | undefined> {
    return this.guard(() => this.selectCheckpoint.get(source));
  }

  async setCheckpoint(source: string, value: string): Promise<void> {
    this.guard(() => this.upsertCheckpoint.run(source, value, new Date().toISOString()));
  }

  async deliveredIn(source: string, scope: string): Promise<DeliveredUnit[]> {
    return this.unitsIn(source, scope);
  }

  private unitsIn(source: string, scope: string): DeliveredUnit[] {
    return this.guard(() =>
      this.selectIn.all(source, scope).map((row) => ({
        source,
        key: row.unit,
        scope: row.scope ?? undefined,
        position: new Date(row.position_ms).toISOString(),
        rows: row.rows,
        ...(row.detail === null ? {} : { detail: JSON.parse(row.detail) }),
      })),
    );
  }

  async rowFingerprints(unit: FingerprintUnit): Promise<RowFingerprints> {
    return this.guard(
      () =>
        new SqliteRowFingerprints(
          this.fingerprintTables,
          unit,
          this.unitsIn(unit.source, unit.scope).map((u) => u.key),
          (err) => stateErrorFrom(err, this.path),
        ),
    );
  }

  /** Also forgets the fingerprints of forgotten units, and those of attempts that never finished. */
  async prune(source: string, before: Date): Promise<number> {
    return this.guard(() => {
      const pruned = this.deleteBefore.run(source, before.getTime()).changes;
      this.deleteOrphanFingerprints(source);
      return pruned;
    });
  }

  async newestPosition(source: string): Promise<string | undefined> {
    const ms = this.guard(() => this.selectNewest.get(source));
    return ms === null || ms === undefined ? undefined : new Date(ms).toISOString();
  }

  async unitsFrom(source: string, from: Date): Promise<number> {
    return this.guard(() => this.countFrom.get(source, from.getTime()) ?? 0);
  }

  async rewind(source: string, to: Date, checkpoint: string): Promise<number> {
    return this.guard(() => this.rewindTo(source, to.getTime(), checkpoint));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private guard<T>(operation: () => T): T {
    try {
      return operation();
    } catch (err) {
      throw stateErrorFrom(err, this.path);
    }
  }
}

/**
 * Fingerprints are written in batches of at most this many rows (one transaction each); a small
 * unit's all go in with its markDelivered, so small files cost no extra transaction.
 */
const FINGERPRINT_BATCH = 65_536;
/** The first batch's room: a small file (most hourly files) should not hold 512 KiB for a few rows. */
const FIRST_BATCH = 1_024;

/**
 * The statements of row fingerprinting, prepared once per database: a catch-up of thousands of
 * small files would otherwise compile them again for each, and leave each to the garbage collector.
 */
class FingerprintTables {
  private readonly insertScope: Statement<[string, string], unknown>;
  private readonly scopeNumber: Statement<[string, string], number>;
  private readonly unitNumber: Statement<[string, string], FingerprintedUnit>;
  private readonly insertUnit: Statement<[string, string, number], unknown>;
  private readonly deleteUnitRows: Statement<[number, number], unknown>;
  private readonly unmarkMd5: Statement<[number], unknown>;
  readonly lookup: Statement<[number, bigint], number>;
  readonly insertRows: (scope: number, unit: number, fingerprints: BigInt64Array, count: number) => void;

  constructor(db: Database.Database) {
    this.insertScope = db.prepare("INSERT OR IGNORE INTO scopes (source, scope) VALUES (?, ?)");
    this.scopeNumber = db
      .prepare<[string, string], number>("SELECT n FROM scopes WHERE source = ? AND scope = ?")
      .pluck();
    this.unitNumber = db.prepare<[string, string], FingerprintedUnit>(
      "SELECT n, md5 FROM fingerprinted_units WHERE source = ? AND unit = ?",
    );
    this.insertUnit = db.prepare("INSERT INTO fingerprinted_units (source, unit, scope) VALUES (?, ?, ?)");
    this.unmarkMd5 = db.prepare("UPDATE fingerprinted_units SET md5 = 0 WHERE n = ?");
    // row_fingerprints.file holds a unit's number (the column kept its 0.1 name).
    this.deleteUnitRows = db.prepare("DELETE FROM row_fingerprints WHERE scope = ? AND file = ?");
    this.lookup = db
      .prepare<[number, bigint], number>(
        "SELECT file FROM row_fingerprints WHERE scope = ? AND fingerprint = ?",
      )
      .pluck();
    // A key held by a unit never delivered (an attempt that did not finish) goes to this one.
    const insertRow = db.prepare<[number, bigint, number]>(
      "INSERT OR REPLACE INTO row_fingerprints (scope, fingerprint, file) VALUES (?, ?, ?)",
    );
    this.insertRows = db.transaction(
      (scope: number, unit: number, fingerprints: BigInt64Array, count: number) => {
        for (let i = 0; i < count; i++) insertRow.run(scope, fingerprints[i], unit);
      },
    );
  }

  scope(source: string, name: string): number {
    this.insertScope.run(source, name);
    return this.scopeNumber.get(source, name)!;
  }

  /** The number of a unit that is no longer in progress, if it ever was, and whether it holds MD5's. */
  numberOf(source: string, key: string): FingerprintedUnit | undefined {
    return this.unitNumber.get(source, key);
  }

  /**
   * A number for the unit, with none of the fingerprints an unfinished earlier attempt left: those
   * may be MD5's of an attempt before the upgrade, and this attempt stores the row's identity.
   */
  startUnit(source: string, key: string, scope: number): number {
    const earlier = this.numberOf(source, key);
    if (earlier === undefined) return Number(this.insertUnit.run(source, key, scope).lastInsertRowid);
    this.deleteUnitRows.run(scope, earlier.n);
    if (earlier.md5) this.unmarkMd5.run(earlier.n);
    return earlier.n;
  }
}

/** A row of fingerprinted_units: its number, and whether its fingerprints are MD5's (schema 4 and earlier). */
interface FingerprintedUnit {
  n: number;
  md5: 0 | 1;
}

class SqliteRowFingerprints implements RowFingerprints {
  private readonly scope: number;
  private readonly unit: number;
  /** Numbers of this scope's other delivered units: only their rows (and md5Units') count as seen. */
  private readonly deliveredUnits = new Set<number>();
  /** The other delivered units fingerprinted before the upgrade: their rows are found by MD5 fingerprint. */
  private readonly md5Units = new Set<number>();
  private pending: BigInt64Array<ArrayBuffer> = new BigInt64Array(FIRST_BATCH);
  private count = 0;

  constructor(
    private readonly tables: FingerprintTables,
    unit: FingerprintUnit,
    /** Keys of the units of the same scope already delivered. */
    deliveredInScope: string[],
    /** The StateError, naming the database, that a SQLite failure becomes. */
    private readonly stateError: (err: unknown) => Error,
  ) {
    this.scope = tables.scope(unit.source, unit.scope);
    this.unit = tables.startUnit(unit.source, unit.key, this.scope);
    for (const key of deliveredInScope) {
      const delivered = key === unit.key ? undefined : tables.numberOf(unit.source, key);
      if (delivered !== undefined) (delivered.md5 ? this.md5Units : this.deliveredUnits).add(delivered.n);
    }
  }

  seen(json: string, fingerprint = eventFingerprint(json)): boolean {
    // Only a scope with another delivered unit can hold repeats: the first file of an hour or a day
    // pays for recording its fingerprints, never for looking them up. Likewise the MD5 is computed
    // only while the scope keeps a unit fingerprinted before the upgrade.
    if (this.deliveredUnits.size > 0 && this.deliveredUnits.has(this.owner(fingerprint) ?? -1)) return true;
    if (this.md5Units.size > 0 && this.md5Units.has(this.owner(md5Fingerprint(json)) ?? -1)) return true;
    if (this.count === this.pending.length) {
      if (this.count === FINGERPRINT_BATCH) this.writeBatch();
      else this.pending = growTo(this.pending, this.count * 2);
    }
    this.pending[this.count++] = fingerprint;
    return false;
  }

  /** The unit that recorded this fingerprint in this scope. */
  private owner(fingerprint: bigint): number | undefined {
    try {
      return this.tables.lookup.get(this.scope, fingerprint);
    } catch (err) {
      throw this.stateError(err);
    }
  }

  private writeBatch(): void {
    try {
      this.writePending();
    } catch (err) {
      throw this.stateError(err);
    }
  }

  /** Inserts what is pending (in its own transaction, or as part of the caller's). */
  writePending(): void {
    if (this.count === 0) return;
    // In key order, the inserts walk the B-tree's pages once each instead of at random: at 6.6
    // million fingerprints, 1.3 µs a row instead of 1.9. Rows repeated within a unit still land on
    // one key, whatever the order (docs/performance.md).
    this.pending.subarray(0, this.count).sort();
    this.tables.insertRows(this.scope, this.unit, this.pending, this.count);
    this.count = 0;
  }
}

function growTo(array: BigInt64Array, length: number): BigInt64Array<ArrayBuffer> {
  const larger = new BigInt64Array(length);
  larger.set(array);
  return larger;
}
