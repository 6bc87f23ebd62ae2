import { afterEach, describe, expect, it } from "vitest";
import { type LeasableStore, LeaseLostError } from "../../src/state/index.js";
import { openPostgresState } from "../../src/state/postgres/postgres-store.js";
import { postgresUnavailable, sayPostgresSkipped, postgresForSuite } from "../support/postgres.js";
import { row, unit } from "./store-contract.js";

sayPostgresSkipped("the PostgreSQL leases' tests");

const KEY = "objects:LoginEvent";
/** Short, so that a test waits for an expiry (polling the server's clock, never a fixed sleep). */
const SHORT_MS = 400;
const LONG_MS = 60_000;

describe.skipIf(postgresUnavailable() !== undefined)("leases on the PostgreSQL state", () => {
  const server = postgresForSuite();

  let open: LeasableStore[] = [];
  let database: string;
  const twoCollectors = async () => {
    database = await server().createDatabase();
    const [one, two] = await Promise.all([
      openPostgresState(server().url(database)),
      openPostgresState(server().url(database)),
    ]);
    open.push(one, two);
    return [one, two];
  };
  afterEach(async () => {
    for (const store of open) await store.close();
    open = [];
  });
  const untilExpired = async (key: string) => {
    for (;;) {
      const { rows } = await server().sql(
        database,
        `SELECT expires_at <= clock_timestamp() AS expired FROM sfevents_leases WHERE work_key = '${key}'`,
      );
      if (rows[0].expired) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const counts = async () =>
    (
      await server().sql(
        database,
        `SELECT (SELECT count(*) FROM sfevents_delivered_units)::int AS units,
                (SELECT count(*) FROM sfevents_checkpoints)::int AS checkpoints,
                (SELECT count(*) FROM sfevents_row_fingerprints)::int AS fingerprints`,
      )
    ).rows[0];

  it("gives a key to one of two collectors asking at once, and to the other once it expired, with a greater token", async () => {
    const [one, two] = await twoCollectors();
    const a = one.workLeases("host-a/1/aaaa", SHORT_MS);
    const b = two.workLeases("host-b/2/bbbb", SHORT_MS);
    const [byA, byB] = await Promise.all([a.acquire(KEY), b.acquire(KEY)]);
    expect([byA, byB].filter((taken) => taken !== undefined)).toHaveLength(1);
    const [winner, loser] = byA !== undefined ? [a, b] : [b, a];
    const first = (byA ?? byB)!.lease;
    expect(first).toEqual({ key: KEY, holder: winner.holder, token: 1 });
    expect(await loser.acquire(KEY)).toBeUndefined();

    await untilExpired(KEY);
    const takeover = await loser.acquire(KEY);
    expect(takeover).toEqual({
      lease: { key: KEY, holder: loser.holder, token: 2 },
      expiredHolder: winner.holder,
    });
    // The former holder's renewal finds the lease gone, and it cannot take it back while it is held.
    expect(await winner.renew([first])).toEqual(new Set());
    expect(await winner.acquire(KEY)).toBeUndefined();
  });

  it("refuses a commit through a lost lease and writes nothing of it (unit, checkpoint, fingerprints)", async () => {
    const [one, two] = await twoCollectors();
    const a = one.workLeases("host-a/1/aaaa", SHORT_MS);
    const b = two.workLeases("host-b/2/bbbb", LONG_MS);
    const stale = (await a.acquire(KEY))!.lease;
    const lost: LeaseLostError[] = [];
    const fencedA = a.fenced(stale, (err) => lost.push(err));
    const rows = await fencedA.rowFingerprints({ source: "s", key: "a", scope: "x" });
    rows.seen(row(1));
    rows.seen(row(2));
    await untilExpired(KEY);
    // Expired and not yet taken: refused too, by the server's clock.
    await expect(fencedA.setCheckpoint("s", "expired")).rejects.toThrow(LeaseLostError);

    const current = (await b.acquire(KEY))!.lease;
    expect(current.token).toBeGreaterThan(stale.token);
    const refused = fencedA.markDelivered(
      { source: "s", key: "a", scope: "x", position: "2026-11-01T00:00:00Z", rows: 2 },
      "stale checkpoint",
      rows,
    );
    await expect(refused).rejects.toThrow(LeaseLostError);
    await expect(refused).rejects.toThrow(
      /^The lease of objects:LoginEvent is no longer held by this collector \(host-a\/1\/aaaa, token 1\)/,
    );
    await expect(fencedA.prune("s", new Date())).rejects.toThrow(LeaseLostError);
    await expect(fencedA.rewind("s", new Date(0), "rewound")).rejects.toThrow(LeaseLostError);
    expect(lost.map((err) => err.lease)).toEqual([stale, stale, stale, stale]);
    expect(await counts()).toEqual({ units: 0, checkpoints: 0, fingerprints: 0 });

    // The holder commits through its own lease, and the refused view never wrote over it.
    const fencedB = b.fenced(current, () => {
      throw new Error("not lost");
    });
    await fencedB.markDelivered(unit({ source: "s", key: "a" }), "current checkpoint");
    await expect(fencedA.setCheckpoint("s", "stale again")).rejects.toThrow(LeaseLostError);
    expect(await one.checkpoint("s")).toBe("current checkpoint");
    expect(await counts()).toMatchObject({ units: 1, checkpoints: 1 });
  });

  it("renews a lease past its first expiry, and a released one is taken at once, not as a takeover", async () => {
    const [one, two] = await twoCollectors();
    const a = one.workLeases("host-a/1/aaaa", LONG_MS);
    const b = two.workLeases("host-b/2/bbbb", LONG_MS);
    const lease = (await a.acquire(KEY))!.lease;
    const expiry = async () =>
      (await server().sql(database, "SELECT expires_at FROM sfevents_leases")).rows[0].expires_at as Date;
    const before = await expiry();
    expect(await a.renew([lease])).toEqual(new Set([KEY]));
    expect((await expiry()).getTime()).toBeGreaterThan(before.getTime());
    expect(await b.acquire(KEY)).toBeUndefined();

    await a.release(lease);
    expect(await b.acquire(KEY)).toEqual({ lease: { key: KEY, holder: b.holder, token: 2 } });
  });

  it("counts the collectors alive, and forgets one that leaves", async () => {
    const [one, two] = await twoCollectors();
    const a = one.workLeases("host-a/1/aaaa", LONG_MS);
    const b = two.workLeases("host-b/2/bbbb", LONG_MS);
    expect(await a.alive()).toBe(1);
    expect(await b.alive()).toBe(2);
    await b.leave();
    expect(await a.alive()).toBe(1);
  });
});
