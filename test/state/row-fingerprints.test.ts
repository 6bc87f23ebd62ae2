import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DeliveredFile, openSqliteState, type StateStore } from "../../src/state/index.js";

const day = { eventType: "Login", interval: "Daily" as const, logDate: "2026-11-20T00:00:00.000+0000" };

function delivered(id: string, rows: number): DeliveredFile {
  return { ...day, id, createdDate: "2026-11-21T03:00:00.000+0000", sequence: 0, length: 100, rows };
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

  it("recognises rows of a delivered file of the same scope, and only those", () => {
    const first = state.rowFingerprints({ ...day, id: "0AT000000000001" });
    expect([1n, 2n, 3n].map((f) => first.seen(f))).toEqual([false, false, false]);
    state.markDelivered(delivered("0AT000000000001", 3), undefined, first);

    const replacement = state.rowFingerprints({ ...day, id: "0AT000000000002" });
    expect([2n, 3n, 4n].map((f) => replacement.seen(f))).toEqual([true, true, false]);

    const otherDay = state.rowFingerprints({
      ...day,
      logDate: "2026-11-21T00:00:00.000+0000",
      id: "0AT000000000003",
    });
    expect(otherDay.seen(2n)).toBe(false);
  });

  it("ignores fingerprints of a file that was never acknowledged, and survives a reopen", () => {
    const crashed = state.rowFingerprints({ ...day, id: "0AT000000000001" });
    crashed.seen(7n);
    // A large file writes batches before its acknowledgement; simulate that with markDelivered of
    // another file carrying nothing, then reopen as after a crash.
    state.markDelivered(delivered("0AT000000000009", 0));
    state.close();
    state = openSqliteState(join(dir, "state.sqlite"));
    const next = state.rowFingerprints({ ...day, id: "0AT000000000002" });
    expect(next.seen(7n)).toBe(false);
    state.markDelivered(delivered("0AT000000000002", 1), undefined, next);
    state.close();
    state = openSqliteState(join(dir, "state.sqlite"));
    expect(state.rowFingerprints({ ...day, id: "0AT000000000003" }).seen(7n)).toBe(true);
  });

  it("forgets the fingerprints of pruned files", () => {
    const fp = state.rowFingerprints({ ...day, id: "0AT000000000001" });
    fp.seen(5n);
    state.markDelivered(delivered("0AT000000000001", 1), undefined, fp);
    state.prune(new Date("2027-01-01T00:00:00Z"));
    state.markDelivered(delivered("0AT000000000002", 0));
    expect(state.rowFingerprints({ ...day, id: "0AT000000000003" }).seen(5n)).toBe(false);
  });
});
