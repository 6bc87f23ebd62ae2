import { mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import Database, { type Statement } from "better-sqlite3";
import {
  type Cursor,
  type DeliveredFile,
  type FingerprintScope,
  type LogInterval,
  type RowFingerprints,
  StateError,
  scopeKey,
  type StateStore,
} from "../store.js";
import { stateErrorFrom } from "./errors.js";
import { migrate } from "./schema.js";

export interface SqliteStateOptions {
  /** How long to wait for a lock held by another process before giving up with a StateError. */
  busyTimeoutMs?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 2_000;

interface FileRow {
  id: string;
  created_date: string;
  event_type: string;
  interval: LogInterval;
  log_date: string;
  sequence: number;
  length: number;
  rows: number;
}

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
    migrate(db, path);
    return new SqliteStateStore(db, path);
  } catch (err) {
    db?.close();
    throw stateErrorFrom(err, path);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function epochMs(createdDate: string, path: string): number {
  const ms = Date.parse(createdDate);
  if (Number.isNaN(ms)) {
    throw new StateError(
      `Cannot record a file in ${path}: CreatedDate "${createdDate}" is not an ISO 8601 date-time.`,
    );
  }
  return ms;
}

class SqliteStateStore implements StateStore {
  private readonly selectDelivered: Statement<[string, string], unknown>;
  private readonly insertDelivered: Statement<unknown[], unknown>;
  private readonly selectCursor: Statement<[string], { created_date: string; id: string }>;
  private readonly upsertCursor: Statement<unknown[], unknown>;
  private readonly selectFor: Statement<[string, string, string], FileRow>;
  private readonly deleteBefore: Statement<[number], unknown>;
  private readonly deleteOrphanFingerprints: () => void;
  private readonly fingerprintTables: FingerprintTables;
  private readonly recordDelivery: (
    file: DeliveredFile,
    cursor?: { source: string; position: Cursor },
    fingerprints?: RowFingerprints,
  ) => void;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
  ) {
    this.selectDelivered = db.prepare("SELECT 1 FROM delivered_files WHERE id = ? AND created_date = ?");
    this.fingerprintTables = new FingerprintTables(db);
    this.insertDelivered = db.prepare(
      `INSERT OR REPLACE INTO delivered_files
         (id, created_date, created_ms, event_type, interval, log_date, sequence, length, rows, delivered_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.selectCursor = db.prepare("SELECT created_date, id FROM cursors WHERE source = ?");
    this.upsertCursor = db.prepare(
      `INSERT INTO cursors (source, created_date, id, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (source) DO UPDATE SET created_date = excluded.created_date, id = excluded.id,
         updated_at = excluded.updated_at`,
    );
    this.selectFor = db.prepare(
      `SELECT id, created_date, event_type, interval, log_date, sequence, length, rows FROM delivered_files
       WHERE event_type = ? AND log_date = ? AND interval = ? ORDER BY sequence, created_ms`,
    );
    this.deleteBefore = db.prepare("DELETE FROM delivered_files WHERE created_ms < ?");
    const orphans = db.prepare<[], { n: number; scope: number }>(
      "SELECT n, scope FROM fingerprint_files WHERE file_id NOT IN (SELECT id FROM delivered_files)",
    );
    const deleteRows = db.prepare("DELETE FROM row_fingerprints WHERE scope = ? AND file = ?");
    const deleteFile = db.prepare("DELETE FROM fingerprint_files WHERE n = ?");
    const deleteEmptyScopes = db.prepare(
      "DELETE FROM fingerprint_scopes WHERE n NOT IN (SELECT scope FROM fingerprint_files)",
    );
    this.deleteOrphanFingerprints = db.transaction(() => {
      for (const file of orphans.all()) {
        deleteRows.run(file.scope, file.n);
        deleteFile.run(file.n);
      }
      deleteEmptyScopes.run();
    });
    this.recordDelivery = db.transaction(
      (
        file: DeliveredFile,
        cursor?: { source: string; position: Cursor },
        fingerprints?: RowFingerprints,
      ) => {
        const now = new Date().toISOString();
        if (fingerprints instanceof SqliteRowFingerprints) fingerprints.writePending();
        this.insertDelivered.run(
          file.id,
          file.createdDate,
          epochMs(file.createdDate, this.path),
          file.eventType,
          file.interval,
          file.logDate,
          file.sequence,
          file.length,
          file.rows,
          now,
        );
        if (cursor)
          this.upsertCursor.run(cursor.source, cursor.position.createdDate, cursor.position.id, now);
      },
    );
  }

  isDelivered(id: string, createdDate: string): boolean {
    return this.guard(() => this.selectDelivered.get(id, createdDate) !== undefined);
  }

  markDelivered(
    file: DeliveredFile,
    cursor?: { source: string; position: Cursor },
    fingerprints?: RowFingerprints,
  ): void {
    this.guard(() => this.recordDelivery(file, cursor, fingerprints));
  }

  cursor(source: string): Cursor | undefined {
    return this.guard(() => {
      const row = this.selectCursor.get(source);
      return row && { createdDate: row.created_date, id: row.id };
    });
  }

  setCursor(source: string, position: Cursor): void {
    this.guard(() =>
      this.upsertCursor.run(source, position.createdDate, position.id, new Date().toISOString()),
    );
  }

  deliveredFor(eventType: string, logDate: string, interval: LogInterval): DeliveredFile[] {
    return this.guard(() =>
      this.selectFor.all(eventType, logDate, interval).map((row) => ({
        id: row.id,
        eventType: row.event_type,
        interval: row.interval,
        logDate: row.log_date,
        createdDate: row.created_date,
        sequence: row.sequence,
        length: row.length,
        rows: row.rows,
      })),
    );
  }

  rowFingerprints(file: FingerprintScope): RowFingerprints {
    return this.guard(
      () =>
        new SqliteRowFingerprints(
          this.fingerprintTables,
          file,
          this.deliveredFor(file.eventType, file.logDate, file.interval),
          (err) => stateErrorFrom(err, this.path),
        ),
    );
  }

  /** Also forgets the fingerprints of forgotten files, and those of attempts that never finished. */
  prune(before: Date): number {
    return this.guard(() => {
      const pruned = this.deleteBefore.run(before.getTime()).changes;
      this.deleteOrphanFingerprints();
      return pruned;
    });
  }

  close(): void {
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
 * file's all go in with its markDelivered, so small files cost no extra transaction.
 */
const FINGERPRINT_BATCH = 65_536;
/** The first batch's room: a small file (most hourly files) should not hold 512 KiB for a few rows. */
const FIRST_BATCH = 1_024;

/**
 * The statements of row fingerprinting, prepared once per database: a catch-up of thousands of
 * small files would otherwise compile them again for each, and leave each to the garbage collector.
 */
class FingerprintTables {
  private readonly insertScope: Statement<[string], unknown>;
  private readonly scopeNumber: Statement<[string], number>;
  private readonly fileNumber: Statement<[string], number>;
  private readonly insertFile: Statement<[string, number], unknown>;
  private readonly deleteFileRows: Statement<[number, number], unknown>;
  readonly lookup: Statement<[number, bigint], number>;
  readonly insertRows: (scope: number, file: number, fingerprints: BigInt64Array, count: number) => void;

  constructor(db: Database.Database) {
    this.insertScope = db.prepare("INSERT OR IGNORE INTO fingerprint_scopes (scope) VALUES (?)");
    this.scopeNumber = db
      .prepare<[string], number>("SELECT n FROM fingerprint_scopes WHERE scope = ?")
      .pluck();
    this.fileNumber = db
      .prepare<[string], number>("SELECT n FROM fingerprint_files WHERE file_id = ?")
      .pluck();
    this.insertFile = db.prepare("INSERT INTO fingerprint_files (file_id, scope) VALUES (?, ?)");
    this.deleteFileRows = db.prepare("DELETE FROM row_fingerprints WHERE scope = ? AND file = ?");
    this.lookup = db
      .prepare<[number, bigint], number>(
        "SELECT file FROM row_fingerprints WHERE scope = ? AND fingerprint = ?",
      )
      .pluck();
    // A key held by a file never delivered (an attempt that did not finish) goes to this one.
    const insertRow = db.prepare<[number, bigint, number]>(
      "INSERT OR REPLACE INTO row_fingerprints (scope, fingerprint, file) VALUES (?, ?, ?)",
    );
    this.insertRows = db.transaction(
      (scope: number, file: number, fingerprints: BigInt64Array, count: number) => {
        for (let i = 0; i < count; i++) insertRow.run(scope, fingerprints[i], file);
      },
    );
  }

  scope(name: string): number {
    this.insertScope.run(name);
    return this.scopeNumber.get(name)!;
  }

  /** The number of a file that is no longer in progress, if it ever was. */
  numberOf(fileId: string): number | undefined {
    return this.fileNumber.get(fileId);
  }

  /** A number for the file, with none of the fingerprints an unfinished earlier attempt left. */
  startFile(fileId: string, scope: number): number {
    const earlier = this.numberOf(fileId);
    if (earlier === undefined) return Number(this.insertFile.run(fileId, scope).lastInsertRowid);
    this.deleteFileRows.run(scope, earlier);
    return earlier;
  }
}

class SqliteRowFingerprints implements RowFingerprints {
  private readonly scope: number;
  private readonly file: number;
  /** Numbers of this scope's other delivered files: only their rows count as seen. */
  private readonly deliveredFiles: Set<number>;
  private pending: BigInt64Array<ArrayBuffer> = new BigInt64Array(FIRST_BATCH);
  private count = 0;

  constructor(
    private readonly tables: FingerprintTables,
    file: FingerprintScope,
    deliveredInScope: DeliveredFile[],
    /** The StateError, naming the database, that a SQLite failure becomes. */
    private readonly stateError: (err: unknown) => Error,
  ) {
    this.scope = tables.scope(scopeKey(file));
    this.file = tables.startFile(file.id, this.scope);
    this.deliveredFiles = new Set(
      deliveredInScope
        .filter((f) => f.id !== file.id)
        .map((f) => tables.numberOf(f.id))
        .filter((n) => n !== undefined),
    );
  }

  seen(fingerprint: bigint): boolean {
    // Only a scope with another delivered file can hold repeats: the first file of an hour or a day
    // pays for recording its fingerprints, never for looking them up.
    if (this.deliveredFiles.size > 0 && this.deliveredFiles.has(this.owner(fingerprint) ?? -1)) return true;
    if (this.count === this.pending.length) {
      if (this.count === FINGERPRINT_BATCH) this.writeBatch();
      else this.pending = growTo(this.pending, this.count * 2);
    }
    this.pending[this.count++] = fingerprint;
    return false;
  }

  /** The file that recorded this fingerprint in this scope. */
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
    this.tables.insertRows(this.scope, this.file, this.pending, this.count);
    this.count = 0;
  }
}

function growTo(array: BigInt64Array, length: number): BigInt64Array<ArrayBuffer> {
  const larger = new BigInt64Array(length);
  larger.set(array);
  return larger;
}
