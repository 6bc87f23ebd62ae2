import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteState } from "../../src/state/index.js";

describe("the state's newest position (where the lag is measured from)", () => {
  const dir = mkdtempSync(join(tmpdir(), "sfevents-newest-"));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("is the position of the source's newest delivered unit, whatever the order of delivery", () => {
    const state = openSqliteState(join(dir, "state.sqlite"));
    try {
      expect(state.newestPosition("elf:hourly")).toBeUndefined();
      for (const [key, position] of [
        ["b", "2026-11-20T02:00:00.000Z"],
        ["c", "2026-11-20T03:00:00.000+0000"],
        ["a", "2026-11-20T01:00:00.000Z"],
      ]) {
        state.markDelivered({ source: "elf:hourly", key, position, rows: 1 });
      }
      state.markDelivered({ source: "other", key: "z", position: "2026-12-01T00:00:00.000Z", rows: 1 });
      expect(state.newestPosition("elf:hourly")).toBe("2026-11-20T03:00:00.000Z");
    } finally {
      state.close();
    }
  });
});
