import { afterEach, expect, it } from "vitest";
import { type DeliveredUnit, StateError, type StateStore } from "../../src/state/index.js";

/**
 * What every StateStore promises, whatever holds it: each store's test file calls storeContract
 * inside its describe, with how to open its storage. The same cases, so both stores answer alike.
 */
export interface StoreHarness {
  /** A store on new, empty storage. */
  fresh(): Promise<StateStore>;
  /** Another store on the storage of the latest fresh(), once the earlier one is closed. */
  again(): Promise<StateStore>;
}

const HOURLY = "event_log_files:hourly";
const DAILY = "event_log_files:daily";

export function unit(overrides: Partial<DeliveredUnit> = {}): DeliveredUnit {
  return {
    source: HOURLY,
    key: "0ATD000000001bROAQ@2026-11-01T14:03:12.000+0000",
    scope: "Login|Hourly|2026-11-01T10:00:00.000+0000",
    position: "2026-11-01T14:03:12.000Z",
    rows: 310,
    detail: { eventType: "Login", sequence: 1, length: 52_345 },
    ...overrides,
  };
}

export const cursor = (createdDate: string, id: string) => JSON.stringify({ createdDate, id });

/** A row's raw event, the text the store fingerprints. */
export const row = (n: number) => `{"EVENT_TYPE":"Login","N":"${n}"}`;

const day = { source: DAILY, scope: "Login|Daily|2026-11-20T00:00:00.000+0000" };
const dailyUnit = (key: string, rows: number): DeliveredUnit => ({
  ...day,
  key,
  position: "2026-11-21T03:00:00.000+0000",
  rows,
});

export function storeContract(harness: StoreHarness): void {
  let open: StateStore[] = [];
  const track = (store: StateStore) => {
    open.push(store);
    return store;
  };
  const fresh = async () => track(await harness.fresh());
  const again = async () => track(await harness.again());
  afterEach(async () => {
    for (const store of open) await store.close();
    open = [];
  });

  it("keeps units and checkpoints across a reopen, per source", async () => {
    const first = await fresh();
    await first.markDelivered(unit(), cursor("2026-11-01T14:03:12.000+0000", "0AT1"));
    await first.setCheckpoint(DAILY, cursor("2026-11-01T02:00:00.000+0000", "0AT9"));
    await first.close();

    const store = await again();
    expect(await store.isDelivered(HOURLY, unit().key)).toBe(true);
    expect(await store.isDelivered(DAILY, unit().key)).toBe(false);
    expect(await store.checkpoint(HOURLY)).toBe(cursor("2026-11-01T14:03:12.000+0000", "0AT1"));
    expect(await store.checkpoint(DAILY)).toBe(cursor("2026-11-01T02:00:00.000+0000", "0AT9"));
    expect(await store.deliveredIn(HOURLY, unit().scope!)).toEqual([unit()]);
  });

  it("applies writes in the order they were called, awaited or not", async () => {
    const store = await fresh();
    // As the engine commits units: one after the other as their acknowledgements come, not awaited in between.
    const writes = Array.from({ length: 20 }, (_, i) =>
      store.markDelivered(unit({ key: `0AT${i}` }), cursor("2026-11-01T14:03:12.000+0000", `0AT${i}`)),
    );
    await Promise.all(writes);
    expect(await store.checkpoint(HOURLY)).toBe(cursor("2026-11-01T14:03:12.000+0000", "0AT19"));
  });

  it("tells units apart by their key within their source", async () => {
    const store = await fresh();
    await store.markDelivered(unit());
    expect(await store.isDelivered(HOURLY, "0ATD000000001bROAQ@2026-11-02T03:00:00.000+0000")).toBe(false);
    expect(await store.checkpoint(HOURLY)).toBeUndefined();
  });

  it("lists the delivered units of one scope of a source, in position order", async () => {
    const store = await fresh();
    await store.markDelivered(unit({ key: "0AT1", position: "2026-11-01T18:00:00.000Z" }));
    await store.markDelivered(unit({ key: "0AT2" }));
    await store.markDelivered(unit({ key: "0AT3", scope: "API|Hourly|2026-11-01T10:00:00.000+0000" }));
    await store.markDelivered(unit({ key: "0AT4", source: DAILY }));
    expect((await store.deliveredIn(HOURLY, unit().scope!)).map((u) => u.key)).toEqual(["0AT2", "0AT1"]);
    expect((await store.deliveredIn(DAILY, unit().scope!)).map((u) => u.key)).toEqual(["0AT4"]);
  });

  it("records the unit and moves the checkpoint together, or does neither", async () => {
    const store = await fresh();
    const before = cursor("2026-11-01T00:00:00.000+0000", "0AT0");
    await store.setCheckpoint(HOURLY, before);
    await expect(
      store.markDelivered(unit({ position: "yesterday" }), cursor("2026-11-01T14:03:12.000+0000", "0AT1")),
    ).rejects.toThrow(StateError);
    expect(await store.checkpoint(HOURLY)).toBe(before);
    expect(await store.isDelivered(HOURLY, unit().key)).toBe(false);
  });

  it("forgets a source's units positioned before the given instant, whatever the spelling of the offset", async () => {
    const store = await fresh();
    await store.markDelivered(unit({ key: "old", position: "2026-10-01T09:59:59.999+0000" }));
    await store.markDelivered(unit({ key: "edge", position: "2026-10-01T10:00:00.000Z" }));
    await store.markDelivered(unit({ key: "new", position: "2026-10-20T00:00:00.000+0000" }));
    await store.markDelivered(unit({ key: "other", source: DAILY, position: "2026-09-01T00:00:00.000Z" }));
    expect(await store.prune(HOURLY, new Date("2026-10-01T10:00:00.000Z"))).toBe(1);
    expect(await store.isDelivered(HOURLY, "old")).toBe(false);
    expect(await store.isDelivered(HOURLY, "edge")).toBe(true);
    expect(await store.isDelivered(HOURLY, "new")).toBe(true);
    expect(await store.isDelivered(DAILY, "other")).toBe(true);
  });

  it("gives the position of the source's newest delivered unit, whatever the order of delivery", async () => {
    const store = await fresh();
    expect(await store.newestPosition("elf:hourly")).toBeUndefined();
    for (const [key, position] of [
      ["b", "2026-11-20T02:00:00.000Z"],
      ["c", "2026-11-20T03:00:00.000+0000"],
      ["a", "2026-11-20T01:00:00.000Z"],
    ]) {
      await store.markDelivered({ source: "elf:hourly", key, position, rows: 1 });
    }
    await store.markDelivered({ source: "other", key: "z", position: "2026-12-01T00:00:00.000Z", rows: 1 });
    expect(await store.newestPosition("elf:hourly")).toBe("2026-11-20T03:00:00.000Z");
  });

  it("counts the units from an instant, and rewinds: forgets them and their rows, and moves the checkpoint", async () => {
    const store = await fresh();
    const early = await store.rowFingerprints({ ...day, key: "early" });
    early.seen(row(1));
    await store.markDelivered(
      { ...dailyUnit("early", 1), position: "2026-11-20T01:00:00.000Z" },
      "c1",
      early,
    );
    const late = await store.rowFingerprints({ ...day, key: "late" });
    late.seen(row(2));
    await store.markDelivered({ ...dailyUnit("late", 1), position: "2026-11-20T05:00:00.000Z" }, "c2", late);
    const to = new Date("2026-11-20T03:00:00.000Z");
    expect(await store.unitsFrom(DAILY, new Date(0))).toBe(2);
    expect(await store.unitsFrom(DAILY, to)).toBe(1);
    expect(await store.rewind(DAILY, to, "back")).toBe(1);
    expect(await store.checkpoint(DAILY)).toBe("back");
    expect(await store.isDelivered(DAILY, "late")).toBe(false);
    expect(await store.isDelivered(DAILY, "early")).toBe(true);
    const next = await store.rowFingerprints({ ...day, key: "next" });
    expect([1, 2].map((n) => next.seen(row(n)))).toEqual([true, false]);
  });

  it("recognises rows of a delivered unit of the same scope, and only those", async () => {
    const state = await fresh();
    const first = await state.rowFingerprints({ ...day, key: "0AT000000000001" });
    expect([1, 2, 3].map((n) => first.seen(row(n)))).toEqual([false, false, false]);
    await state.markDelivered(dailyUnit("0AT000000000001", 3), undefined, first);

    const replacement = await state.rowFingerprints({ ...day, key: "0AT000000000002" });
    expect([2, 3, 4].map((n) => replacement.seen(row(n)))).toEqual([true, true, false]);

    const otherDay = await state.rowFingerprints({
      ...day,
      scope: "Login|Daily|2026-11-21T00:00:00.000+0000",
      key: "0AT000000000003",
    });
    expect(otherDay.seen(row(2))).toBe(false);
    const otherSource = await state.rowFingerprints({
      ...day,
      source: "event_log_files:hourly",
      key: "0AT000000000004",
    });
    expect(otherSource.seen(row(2))).toBe(false);
    expect(otherDay.seen(row(2))).toBe(false);
  });

  it("keeps every fingerprint of a unit larger than one write batch", async () => {
    const state = await fresh();
    const rows = 70_000;
    const big = await state.rowFingerprints({ ...day, key: "0AT000000000001" });
    for (let n = 1; n <= rows; n++) expect(big.seen(row(n))).toBe(false);
    await state.markDelivered(dailyUnit("0AT000000000001", rows), undefined, big);

    const replacement = await state.rowFingerprints({ ...day, key: "0AT000000000002" });
    let seen = 0;
    for (let n = 1; n <= rows + 1; n++) if (replacement.seen(row(n))) seen++;
    expect(seen).toBe(rows);
  });

  it("ignores fingerprints of a unit that was never acknowledged, and keeps them across a reopen once it is", async () => {
    let state = await fresh();
    const crashed = await state.rowFingerprints({ ...day, key: "0AT000000000001" });
    crashed.seen(row(7));
    await state.markDelivered(dailyUnit("0AT000000000009", 0));
    await state.close();
    state = await again();
    const next = await state.rowFingerprints({ ...day, key: "0AT000000000002" });
    expect(next.seen(row(7))).toBe(false);
    await state.markDelivered(dailyUnit("0AT000000000002", 1), undefined, next);
    await state.close();
    state = await again();
    expect((await state.rowFingerprints({ ...day, key: "0AT000000000003" })).seen(row(7))).toBe(true);
  });

  it("starts a unit's fingerprints afresh when it is collected again", async () => {
    const state = await fresh();
    const attempt = await state.rowFingerprints({ ...day, key: "0AT000000000001" });
    for (let n = 1; n <= 3; n++) attempt.seen(row(n));
    // The attempt never finishes; another unit of the scope is delivered meanwhile.
    await state.markDelivered(dailyUnit("0AT000000000009", 0));
    const retry = await state.rowFingerprints({ ...day, key: "0AT000000000001" });
    retry.seen(row(1));
    await state.markDelivered(dailyUnit("0AT000000000001", 1), undefined, retry);
    const later = await state.rowFingerprints({ ...day, key: "0AT000000000002" });
    expect([1, 2].map((n) => later.seen(row(n)))).toEqual([true, false]);
  });

  it("keeps the fingerprints of a unit in flight when another source prunes", async () => {
    // Two sources of one store (two orgs, or Event Log Files beside an object) run side by side:
    // one's housekeeping must not take what the other is recording for a unit not yet delivered.
    const state = await fresh();
    const fp = await state.rowFingerprints({ ...day, key: "0AT000000000001" });
    fp.seen(row(7));
    await state.prune(HOURLY, new Date("2027-01-01T00:00:00Z"));
    await state.markDelivered(dailyUnit("0AT000000000001", 1), undefined, fp);
    expect((await state.rowFingerprints({ ...day, key: "0AT000000000002" })).seen(row(7))).toBe(true);
  });

  it("forgets the fingerprints of pruned units", async () => {
    const state = await fresh();
    const fp = await state.rowFingerprints({ ...day, key: "0AT000000000001" });
    fp.seen(row(5));
    await state.markDelivered(dailyUnit("0AT000000000001", 1), undefined, fp);
    expect(await state.prune(DAILY, new Date("2027-01-01T00:00:00Z"))).toBe(1);
    await state.markDelivered(dailyUnit("0AT000000000002", 0));
    expect((await state.rowFingerprints({ ...day, key: "0AT000000000003" })).seen(row(5))).toBe(false);
  });
}
