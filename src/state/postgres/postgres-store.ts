import pg from "pg";
import { type DeliveredUnit, type FingerprintUnit, type RowFingerprints, StateError } from "../store.js";
import { type LeasableStore, type Lease, LeaseLostError, type WorkLeases } from "../leases.js";
import { stateErrorFromPg } from "./errors.js";
import { PostgresLeases } from "./leases.js";
import { fromBigEndian, PostgresRowFingerprints } from "./row-fingerprints.js";
import { migrate, SCHEMA_VERSION } from "./schema.js";
import { shownUrl } from "./url.js";

export interface PostgresStateOptions {
  /** Told when a database written by an earlier sfevents was brought to this schema. */
  onUpgrade?: (from: number, to: number) => void;
  /** How long to wait for a connection before giving up with a StateError. */
  connectTimeoutMs?: number;
}

/**
 * Connections held: the engine's reads (is a unit delivered, a scope's fingerprints) run beside
 * one write at a time.
 */
const POOL_SIZE = 4;
/** Fingerprints sent per INSERT, inside markDelivered's transaction. */
const FINGERPRINT_BATCH = 65_536;

/**
 * Opens the state on a PostgreSQL database, creating or upgrading the sfevents_ tables. Unlike the
 * SQLite file, the database may be shared: several stores (collectors) see each other's delivered
 * units and checkpoints.
 */
export async function openPostgresState(
  url: string,
  options: PostgresStateOptions = {},
): Promise<LeasableStore> {
  const pool = new pg.Pool({
    connectionString: url,
    max: POOL_SIZE,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: "sfevents",
  });
  // An idle connection the server closed: the next query gets a connection of its own, or fails
  // with a StateError naming the database. Without a listener the process would exit.
  pool.on("error", () => {});
  const store = new PostgresStateStore(pool, url);
  let client: Checkout | undefined;
  try {
    client = await checkout(pool);
    const upgradedFrom = await migrate(client.client, `The PostgreSQL state database ${shownUrl(url)}`);
    if (upgradedFrom !== undefined && upgradedFrom > 0) options.onUpgrade?.(upgradedFrom, SCHEMA_VERSION);
    client.release();
    return store;
  } catch (err) {
    client?.release(true);
    await store.close();
    throw stateErrorFromPg(err, url);
  }
}

/** What a fenced view checks its writes against (see WorkLeases.fenced). */
interface Fence {
  lease: Lease;
  durationMs: number;
  lost: (err: LeaseLostError) => void;
}

class PostgresStateStore implements LeasableStore {
  /** Writes run one after the other, in the order they were called (see StateStore). */
  private writes: Promise<unknown> = Promise.resolve();
  private closed: Promise<void> | undefined;

  /** With a fence, a view of the store through a lease, sharing its pool (which it does not close). */
  constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
    private readonly fence?: Fence,
  ) {}

  workLeases(holder: string, durationMs: number): WorkLeases {
    return new PostgresLeases(
      holder,
      durationMs,
      (operation) => this.transaction(operation),
      (lease, lost) => new PostgresStateStore(this.pool, this.url, { lease, durationMs, lost }),
    );
  }

  async isDelivered(source: string, key: string): Promise<boolean> {
    const { rowCount } = await this.query(
      "SELECT 1 FROM sfevents_delivered_units WHERE source = $1 AND unit = $2",
      [source, key],
    );
    return rowCount !== null && rowCount > 0;
  }

  async markDelivered(
    unit: DeliveredUnit,
    checkpoint?: string,
    fingerprints?: RowFingerprints,
  ): Promise<void> {
    const positionMs = epochMs(unit.position, this.url);
    await this.write(async (client) => {
      const inserted = await client.query<{ n: string }>(
        `INSERT INTO sfevents_delivered_units (source, unit, scope, position_ms, rows, detail)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING n`,
        [
          unit.source,
          unit.key,
          unit.scope ?? null,
          positionMs,
          unit.rows,
          unit.detail === undefined ? null : JSON.stringify(unit.detail),
        ],
      );
      if (fingerprints instanceof PostgresRowFingerprints) {
        await writeFingerprints(client, fingerprints, inserted.rows[0].n);
      }
      if (checkpoint !== undefined) await upsertCheckpoint(client, unit.source, checkpoint);
    });
  }

  async checkpoint(source: string): Promise<string | undefined> {
    const { rows } = await this.query<{ value: string }>(
      "SELECT value FROM sfevents_checkpoints WHERE source = $1",
      [source],
    );
    return rows[0]?.value;
  }

  setCheckpoint(source: string, value: string): Promise<void> {
    return this.write((client) => upsertCheckpoint(client, source, value));
  }

  async deliveredIn(source: string, scope: string): Promise<DeliveredUnit[]> {
    const { rows } = await this.query<{
      unit: string;
      scope: string | null;
      position_ms: string;
      rows: string;
      detail: string | null;
    }>(
      `SELECT unit, scope, position_ms, rows, detail FROM sfevents_delivered_units
       WHERE source = $1 AND scope = $2 ORDER BY position_ms, unit`,
      [source, scope],
    );
    return rows.map((row) => ({
      source,
      key: row.unit,
      scope: row.scope ?? undefined,
      position: new Date(Number(row.position_ms)).toISOString(),
      rows: Number(row.rows),
      ...(row.detail === null ? {} : { detail: JSON.parse(row.detail) }),
    }));
  }

  /** Reads the scope's delivered fingerprints into memory: see PostgresRowFingerprints for the cost. */
  async rowFingerprints(unit: FingerprintUnit): Promise<RowFingerprints> {
    const { rows } = await this.query<{ fingerprints: Buffer | null }>(
      `SELECT string_agg(int8send(r.fingerprint), ''::bytea ORDER BY r.fingerprint) AS fingerprints
       FROM sfevents_row_fingerprints r JOIN sfevents_scopes s ON s.n = r.scope
       WHERE s.source = $1 AND s.scope = $2
         AND r.unit IS DISTINCT FROM (SELECT n FROM sfevents_delivered_units WHERE source = $1 AND unit = $3)`,
      [unit.source, unit.scope, unit.key],
    );
    return new PostgresRowFingerprints(unit, fromBigEndian(rows[0]?.fingerprints ?? null));
  }

  prune(source: string, before: Date): Promise<number> {
    return this.write((client) => forget(client, source, "position_ms < $2", before.getTime()));
  }

  async newestPosition(source: string): Promise<string | undefined> {
    const { rows } = await this.query<{ newest: string | null }>(
      "SELECT max(position_ms) AS newest FROM sfevents_delivered_units WHERE source = $1",
      [source],
    );
    const newest = rows[0]?.newest ?? null;
    return newest === null ? undefined : new Date(Number(newest)).toISOString();
  }

  async unitsFrom(source: string, from: Date): Promise<number> {
    const { rows } = await this.query<{ n: number }>(
      "SELECT count(*)::integer AS n FROM sfevents_delivered_units WHERE source = $1 AND position_ms >= $2",
      [source, from.getTime()],
    );
    return rows[0].n;
  }

  rewind(source: string, to: Date, checkpoint: string): Promise<number> {
    return this.write(async (client) => {
      const forgotten = await forget(client, source, "position_ms >= $2", to.getTime());
      await upsertCheckpoint(client, source, checkpoint);
      return forgotten;
    });
  }

  close(): Promise<void> {
    // After the writes in flight; twice is once. A fenced view leaves the pool to its store.
    this.closed ??= this.writes.then(() => (this.fence === undefined ? this.pool.end() : undefined));
    return this.closed;
  }

  private async query<Row extends pg.QueryResultRow>(
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<Row>> {
    try {
      return await this.pool.query<Row>(text, values);
    } catch (err) {
      throw stateErrorFromPg(err, this.url);
    }
  }

  /**
   * One transaction on a connection of its own, after the writes called before it. Through a
   * lease, its fence is checked first, inside the same transaction.
   */
  private write<T>(operation: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const { fence } = this;
    const run = this.writes.then(() =>
      this.transaction(async (client) => {
        if (fence !== undefined) await checkFence(client, fence);
        return operation(client);
      }),
    );
    this.writes = run.catch(() => {});
    return run;
  }

  private async transaction<T>(operation: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let checkedOut: Checkout | undefined;
    try {
      checkedOut = await checkout(this.pool);
      const { client } = checkedOut;
      await client.query("BEGIN");
      const result = await operation(client);
      await client.query("COMMIT");
      checkedOut.release();
      return result;
    } catch (err) {
      // A connection that failed mid-transaction is dropped, not handed to the next query.
      if (checkedOut !== undefined) {
        const rolledBack = await checkedOut.client.query("ROLLBACK").then(
          () => true,
          () => false,
        );
        checkedOut.release(!rolledBack);
      }
      if (err instanceof LeaseLostError) this.fence?.lost(err);
      throw stateErrorFromPg(err, this.url);
    }
  }
}

/**
 * The lease is still this collector's: same holder and token, unexpired by the database's clock.
 * The row is locked FOR KEY SHARE until the transaction ends, so that a takeover (which locks it
 * FOR UPDATE SKIP LOCKED) cannot happen while the commit is under way. A process paused inside the
 * transaction would hold that lock: the server ends a transaction left idle for a lease's time.
 */
async function checkFence(client: pg.PoolClient, { lease, durationMs }: Fence): Promise<void> {
  await client.query(`SET LOCAL idle_in_transaction_session_timeout = ${Math.ceil(durationMs)}`);
  const { rowCount } = await client.query(
    `SELECT 1 FROM sfevents_leases
     WHERE work_key = $1 AND holder = $2 AND token = $3 AND expires_at > clock_timestamp()
     FOR KEY SHARE`,
    [lease.key, lease.holder, lease.token],
  );
  if (rowCount !== 1) throw new LeaseLostError(lease);
}

interface Checkout {
  client: pg.PoolClient;
  /** Gives the connection back, or closes it (`destroy`) when it cannot be trusted. */
  release(destroy?: boolean): void;
}

/**
 * A connection of the pool for a transaction. While it is checked out, the pool does not listen to
 * it: a connection the server ends (a restart, a killed backend) would throw in the process. The
 * query in flight fails with that error anyway, which becomes the StateError.
 */
async function checkout(pool: pg.Pool): Promise<Checkout> {
  const client = await pool.connect();
  const ignore = () => {};
  client.on("error", ignore);
  return {
    client,
    release(destroy) {
      client.off("error", ignore);
      client.release(destroy);
    },
  };
}

async function upsertCheckpoint(client: pg.PoolClient, source: string, value: string): Promise<void> {
  await client.query(
    `INSERT INTO sfevents_checkpoints (source, value, updated_at) VALUES ($1, $2, now())
     ON CONFLICT (source) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    [source, value],
  );
}

/** Inserts the unit's fingerprints, in batches; a key another unit recorded goes to this one, as in SQLite. */
async function writeFingerprints(
  client: pg.PoolClient,
  fingerprints: PostgresRowFingerprints,
  unitNumber: string,
): Promise<void> {
  const recorded = fingerprints.recorded();
  if (recorded.length === 0) return;
  const { source, scope } = fingerprints.unit;
  const scopeRow = await client.query<{ n: number }>(
    `INSERT INTO sfevents_scopes (source, scope) VALUES ($1, $2)
     ON CONFLICT (source, scope) DO UPDATE SET scope = excluded.scope RETURNING n`,
    [source, scope],
  );
  for (let start = 0; start < recorded.length; start += FINGERPRINT_BATCH) {
    const batch = recorded.subarray(start, start + FINGERPRINT_BATCH);
    await client.query(
      `INSERT INTO sfevents_row_fingerprints (scope, fingerprint, unit)
       SELECT $1, f, $2 FROM unnest($3::bigint[]) AS f
       ON CONFLICT (scope, fingerprint) DO UPDATE SET unit = excluded.unit`,
      [scopeRow.rows[0].n, unitNumber, `{${batch.join(",")}}`],
    );
  }
}

/**
 * Deletes the source's units matching `condition` (on position_ms, $2), their fingerprints, and the
 * scopes left without a unit. Returns how many units went.
 */
async function forget(client: pg.PoolClient, source: string, condition: string, ms: number): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `WITH gone AS (
       DELETE FROM sfevents_delivered_units WHERE source = $1 AND ${condition} RETURNING n, scope
     ), fingerprints AS (
       DELETE FROM sfevents_row_fingerprints r USING gone g, sfevents_scopes s
       WHERE s.source = $1 AND s.scope = g.scope AND r.scope = s.n AND r.unit = g.n
     )
     SELECT count(*)::integer AS n FROM gone`,
    [source, ms],
  );
  await client.query(
    `DELETE FROM sfevents_scopes s WHERE s.source = $1 AND NOT EXISTS
       (SELECT 1 FROM sfevents_delivered_units d WHERE d.source = s.source AND d.scope = s.scope)`,
    [source],
  );
  return rows[0].n;
}

function epochMs(position: string, url: string): number {
  const ms = Date.parse(position);
  if (Number.isNaN(ms)) {
    throw new StateError(
      `Cannot record a unit in ${shownUrl(url)}: its position "${position}" is not an ISO 8601 date-time.`,
    );
  }
  return ms;
}
