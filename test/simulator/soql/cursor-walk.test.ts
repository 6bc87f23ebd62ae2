import { describe, expect, it } from "vitest";
import { parseSoql, prepareQuery, type SoqlRecord } from "../../../src/simulator/soql/index.js";
import { lookup } from "./event-log-file.fixture.js";

/** A small seeded generator, so a failure can be replayed. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const START = Date.parse("2026-11-13T00:00:00Z");

/** Files whose CreatedDate often collides on one second and whose Ids mix cases, like a busy org's. */
function randomFiles(count: number, seed: number): SoqlRecord[] {
  const random = mulberry32(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
  return Array.from({ length: count }, () => ({
    Id: `0AT${Array.from({ length: 15 }, () => pick([...BASE62])).join("")}`,
    EventType: pick(["Login", "API", "URI", "Logout", "RestApi"]),
    Interval: pick(["Hourly", "Hourly", "Daily", null]),
    CreatedDate: START + Math.floor(random() * 400) * 1000 * 60 * 10,
  }));
}

const byCursor = (a: SoqlRecord, b: SoqlRecord) =>
  (a.CreatedDate as number) - (b.CreatedDate as number) || (a.Id! < b.Id! ? -1 : a.Id! > b.Id! ? 1 : 0);

const iso = (ms: number) => new Date(ms).toISOString();

describe("a collector's (CreatedDate, Id) cursor over the engine", () => {
  it("pages through every matching file exactly once, in order, whatever the page size", () => {
    for (const [seed, pageSize] of [
      [1, 7],
      [2, 50],
      [3, 333],
    ]) {
      const files = randomFiles(3000, seed);
      const expected = files
        .filter((f) => f.Interval === "Hourly" && (f.EventType === "Login" || f.EventType === "API"))
        .sort(byCursor)
        .map((f) => f.Id);

      const seen: string[] = [];
      let cursor: { createdDate: number; id: string } | undefined;
      while (true) {
        const after =
          cursor === undefined
            ? ""
            : ` AND (CreatedDate > ${iso(cursor.createdDate)} OR (CreatedDate = ${iso(cursor.createdDate)} AND Id > '${cursor.id}'))`;
        const soql =
          "SELECT Id, CreatedDate FROM EventLogFile WHERE Interval = 'Hourly' AND EventType IN ('Login','API')" +
          `${after} ORDER BY CreatedDate ASC, Id ASC LIMIT ${pageSize}`;
        const page = prepareQuery(parseSoql(soql), lookup).run(files, new Date(START));
        if (page.length === 0) break;
        for (const row of page) seen.push(row.Id as string);
        const last = page[page.length - 1];
        cursor = { createdDate: last.CreatedDate as number, id: last.Id as string };
      }
      expect(seen).toEqual(expected);
      expect(expected.length).toBeGreaterThan(pageSize);
    }
  });

  it("keeps input order among files equal on every sort key", () => {
    const files: SoqlRecord[] = randomFiles(2000, 4).map((f, index) => ({ ...f, Sequence: index }));
    const rows = prepareQuery(
      parseSoql("SELECT Sequence FROM EventLogFile ORDER BY CreatedDate DESC"),
      lookup,
    ).run(files, new Date(START));
    const expected = files
      .map((f, index) => ({ f, index }))
      .sort((a, b) => (b.f.CreatedDate as number) - (a.f.CreatedDate as number) || a.index - b.index)
      .map(({ f }) => f.Sequence);
    expect(rows.map((r) => r.Sequence)).toEqual(expected);
  });
});
