import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { orgDeadLetters } from "../../src/core/dead-letters.js";
import { DeadLetters } from "../../src/outputs/dead-letter.js";
import { openSqliteState, orgState, type StateStore } from "../../src/state/index.js";

const SOURCE = "event_log_files:hourly";
const unit = {
  source: SOURCE,
  key: "0AT1@2026-11-30T10:00:00.000Z",
  position: "2026-11-30T10:00:00.000Z",
  rows: 3,
};

describe("orgs sharing one state and one dead-letter file", () => {
  let dir: string;
  let shared: StateStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sfevents-org-state-"));
    shared = openSqliteState(join(dir, "state.sqlite"));
  });
  afterEach(async () => {
    await shared.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps each org's sources under its name: the same source id of two orgs never meets", async () => {
    const acme = orgState(shared, "acme");
    const globex = orgState(shared, "globex");
    await acme.markDelivered(unit, '{"cursor":"acme"}');
    expect(await acme.isDelivered(SOURCE, unit.key)).toBe(true);
    expect(await globex.isDelivered(SOURCE, unit.key)).toBe(false);
    expect(await globex.checkpoint(SOURCE)).toBeUndefined();
    expect(await acme.checkpoint(SOURCE)).toBe('{"cursor":"acme"}');
    // Closing an org's view leaves the shared store open for the others.
    await acme.close();
    expect(await shared.isDelivered(`acme/${SOURCE}`, unit.key)).toBe(true);
    expect(await shared.isDelivered(SOURCE, unit.key)).toBe(false);
  });

  it("writes each org's dead letters with its org, counted apart", async () => {
    const file = new DeadLetters(join(dir, "dead-letters.ndjson"));
    const acme = orgDeadLetters(file, "acme");
    const globex = orgDeadLetters(file, "globex");
    await acme.write({ reason: "malformed CSV", source: SOURCE, unit: "0AT1", payload: "a,b" });
    await globex.write({ reason: "malformed CSV", source: SOURCE, unit: "0AT2", payload: "c" });
    await acme.write({ reason: "malformed CSV", source: SOURCE, unit: "0AT1", payload: "d" });
    await file.close();
    const letters = readFileSync(join(dir, "dead-letters.ndjson"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { org: string; unit: string });
    expect(letters.map((l) => [l.org, l.unit])).toEqual([
      ["acme", "0AT1"],
      ["globex", "0AT2"],
      ["acme", "0AT1"],
    ]);
    expect([acme.count, globex.count, file.count]).toEqual([2, 1, 3]);
  });
});
