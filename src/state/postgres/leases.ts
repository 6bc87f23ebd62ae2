import type pg from "pg";
import type { StateStore } from "../store.js";
import type { AcquiredLease, Lease, LeaseLostError, WorkLeases } from "../leases.js";

type Transaction = <T>(operation: (client: pg.PoolClient) => Promise<T>) => Promise<T>;

/**
 * Leases in the sfevents_leases table: a row per work key, taken with `FOR UPDATE SKIP LOCKED`
 * (a collector never waits behind another one's takeover or commit), every time with a greater
 * token. Row locks rather than advisory locks: a lease outlives the connection that took it, so a
 * pool can serve it, and a holder cut off from the server loses it by expiry on the server's clock,
 * whatever its own clock says. Every instant is the server's (`clock_timestamp()`).
 */
export class PostgresLeases implements WorkLeases {
  constructor(
    readonly holder: string,
    readonly durationMs: number,
    private readonly transaction: Transaction,
    private readonly view: (lease: Lease, lost: (err: LeaseLostError) => void) => StateStore,
  ) {}

  alive(): Promise<number> {
    return this.transaction(async (client) => {
      await client.query(
        `INSERT INTO sfevents_collectors (holder, alive_until) VALUES ($1, clock_timestamp() + $2 * interval '1 millisecond')
         ON CONFLICT (holder) DO UPDATE SET alive_until = excluded.alive_until`,
        [this.holder, this.durationMs],
      );
      // Collectors long gone are forgotten; a lease of theirs is taken over by expiry.
      await client.query(
        "DELETE FROM sfevents_collectors WHERE alive_until < clock_timestamp() - interval '1 day'",
      );
      const { rows } = await client.query<{ n: number }>(
        "SELECT count(*)::integer AS n FROM sfevents_collectors WHERE alive_until > clock_timestamp()",
      );
      return rows[0].n;
    });
  }

  acquire(key: string): Promise<AcquiredLease | undefined> {
    return this.transaction(async (client) => {
      await client.query(
        `INSERT INTO sfevents_leases (work_key, holder, token, expires_at) VALUES ($1, NULL, 0, '-infinity')
         ON CONFLICT (work_key) DO NOTHING`,
        [key],
      );
      // Locked by a collector taking it or committing through it: not free, try again later.
      const current = await client.query<{ holder: string | null; expired: boolean }>(
        `SELECT holder, expires_at <= clock_timestamp() AS expired FROM sfevents_leases
         WHERE work_key = $1 FOR UPDATE SKIP LOCKED`,
        [key],
      );
      const row = current.rows[0];
      if (row === undefined || (row.holder !== null && row.holder !== this.holder && !row.expired))
        return undefined;
      const taken = await client.query<{ token: string }>(
        `UPDATE sfevents_leases SET holder = $2, token = token + 1,
           expires_at = clock_timestamp() + $3 * interval '1 millisecond', acquired_at = clock_timestamp()
         WHERE work_key = $1 RETURNING token`,
        [key, this.holder, this.durationMs],
      );
      const lease: Lease = { key, holder: this.holder, token: Number(taken.rows[0].token) };
      return row.holder !== null && row.holder !== this.holder
        ? { lease, expiredHolder: row.holder }
        : { lease };
    });
  }

  renew(leases: readonly Lease[]): Promise<Set<string>> {
    if (leases.length === 0) return Promise.resolve(new Set());
    // An expired lease nobody took is renewed too: its token is unchanged, so nobody committed through another.
    return this.transaction(async (client) => {
      const { rows } = await client.query<{ work_key: string }>(
        `UPDATE sfevents_leases l SET expires_at = clock_timestamp() + $2 * interval '1 millisecond'
         FROM unnest($3::text[], $4::bigint[]) AS held(work_key, token)
         WHERE l.work_key = held.work_key AND l.token = held.token AND l.holder = $1
         RETURNING l.work_key`,
        [this.holder, this.durationMs, leases.map((l) => l.key), leases.map((l) => l.token)],
      );
      return new Set(rows.map((r) => r.work_key));
    });
  }

  release(lease: Lease): Promise<void> {
    return this.transaction(async (client) => {
      await client.query(
        `UPDATE sfevents_leases SET holder = NULL, expires_at = clock_timestamp()
         WHERE work_key = $1 AND holder = $2 AND token = $3`,
        [lease.key, lease.holder, lease.token],
      );
    });
  }

  leave(): Promise<void> {
    return this.transaction(async (client) => {
      await client.query("DELETE FROM sfevents_collectors WHERE holder = $1", [this.holder]);
    });
  }

  fenced(lease: Lease, lost: (err: LeaseLostError) => void): StateStore {
    return this.view(lease, lost);
  }
}
