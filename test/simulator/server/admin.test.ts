import { afterEach, describe, expect, it } from "vitest";
import { CsvParser } from "../../../src/csv/parser.js";
import type { Simulator } from "../../../src/simulator/server/index.js";
import { query, rawGet, START, startOrg, tokenFor } from "./helpers.js";

function postJson(sim: Simulator, path: string, body: unknown) {
  return fetch(`${sim.url}${path}`, { method: "POST", body: JSON.stringify(body) });
}

function csvRecords(text: string): Record<string, string>[] {
  const records: string[][] = [];
  const parser = new CsvParser({
    record: (fields) => records.push(fields),
    problem: (p) => {
      throw new Error(`bad CSV at line ${p.line}: ${p.reason}`);
    },
  });
  parser.write(text);
  parser.end();
  const [header, ...rows] = records;
  return rows.map((row) => Object.fromEntries(header.map((name, i) => [name, row[i]])));
}

describe("the simulated clock", () => {
  let sim: Simulator;
  afterEach(() => sim.close());

  it("is read and moved by /__sim/clock", async () => {
    sim = await startOrg();
    expect(await (await fetch(`${sim.url}/__sim/clock`)).json()).toEqual({
      time: "2026-11-20T15:00:00.000Z",
    });
    const advanced = await postJson(sim, "/__sim/clock", { advance: "3h" });
    expect(await advanced.json()).toEqual({ time: "2026-11-20T18:00:00.000Z" });
    const set = await postJson(sim, "/__sim/clock", { time: "2026-11-22T00:00:00Z" });
    expect(await set.json()).toEqual({ time: "2026-11-22T00:00:00.000Z" });
  });

  it("refuses to go back, and bad requests, saying what to send", async () => {
    sim = await startOrg();
    const back = await postJson(sim, "/__sim/clock", { time: "2026-11-01T00:00:00Z" });
    expect(back.status).toBe(400);
    expect(((await back.json()) as { error: string }).error).toMatch(/only moves forward/);
    const bad = await postJson(sim, "/__sim/clock", { advance: "soon" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/units s, m, h, d/);
    const empty = await postJson(sim, "/__sim/clock", {});
    expect(empty.status).toBe(400);
  });

  it("brings new files, late ones included, as it moves", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    const soql = "SELECT Id, LogDate, CreatedDate FROM EventLogFile ORDER BY CreatedDate";
    const before = await query(sim, token, soql);
    await postJson(sim, "/__sim/clock", { advance: "6h" });
    // Six hours outlive the token, as they would for a collector.
    const after = await query(sim, await tokenFor(sim), soql);
    const known = new Set(before.records.map((r) => r.Id));
    const added = after.records.filter((r) => !known.has(r.Id));
    expect(added.length).toBeGreaterThan(0);
    for (const r of added)
      expect(Date.parse((r.CreatedDate as string).replace("+0000", "Z"))).toBeGreaterThan(Date.parse(START));
    // Some new files cover hours before the move: late data for an old LogDate.
    expect(
      added.some((r) => Date.parse((r.LogDate as string).replace("+0000", "Z")) < Date.parse(START)),
    ).toBe(true);
  });
});

describe("ground truth: GET /__sim/rows", () => {
  let sim: Simulator;
  afterEach(() => sim.close());

  it("holds exactly the rows of the files served", async () => {
    sim = await startOrg({ days: 1, org: { event_types: ["Report"] } });
    const token = await tokenFor(sim);
    const res = await fetch(`${sim.url}/__sim/rows`);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const truth = (await res.text())
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as { fileId: string; row: number; values: Record<string, string> });
    const files = await query<{ Id: string; LogFile: string }>(
      sim,
      token,
      "SELECT Id, LogFile FROM EventLogFile WHERE EventType = 'Report' LIMIT 3",
    );
    expect(files.totalSize).toBeGreaterThan(0);
    for (const file of files.records) {
      const body = await rawGet(`${sim.url}${file.LogFile}`, { authorization: `Bearer ${token}` });
      const rows = csvRecords(body.body.toString("utf8"));
      const published = truth.filter((t) => t.fileId === file.Id);
      expect(published.map((t) => t.row)).toEqual(rows.map((_, i) => i + 1));
      expect(published.map((t) => t.values)).toEqual(rows);
    }
  });
});

describe("ground truth: GET /__sim/files", () => {
  let sim: Simulator;
  afterEach(() => sim.close());

  it("lists the files a query lists, with their CreatedDate, and more as the clock moves", async () => {
    sim = await startOrg({ days: 1, org: { event_types: ["Report"] } });
    const listed = async () =>
      (await (await fetch(`${sim.url}/__sim/files`)).text())
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as { Id: string; CreatedDate: string; Interval: string; Sequence: number });
    const soql = "SELECT Id, CreatedDate, Interval, Sequence FROM EventLogFile ORDER BY CreatedDate, Id";
    // A token of the moment: moving the clock 6 hours outlives one.
    const queried = async () => {
      const token = await tokenFor(sim);
      const page = await query<{ Id: string; CreatedDate: string; Interval: string; Sequence: number }>(
        sim,
        token,
        soql,
      );
      // The API writes dates as 2026-11-20T15:00:00.000+0000; the ground truth in ISO.
      return page.records.map(({ Id, CreatedDate, Interval, Sequence }) => ({
        Id,
        CreatedDate: new Date(CreatedDate.replace(/\+0000$/, "Z")).toISOString(),
        Interval,
        Sequence,
      }));
    };
    const before = await listed();
    expect(before.length).toBeGreaterThan(0);
    expect(
      before.map(({ Id, CreatedDate, Interval, Sequence }) => ({ Id, CreatedDate, Interval, Sequence })),
    ).toEqual(await queried());
    sim.clock.advance("6h");
    const after = await listed();
    expect(after.length).toBeGreaterThan(before.length);
    expect(after.map((f) => f.Id)).toEqual((await queried()).map((f) => f.Id));
  });
});

describe("GET /__sim/stats", () => {
  let sim: Simulator;
  afterEach(() => sim.close());

  it("counts requests per route and API usage", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    await query(sim, token, "SELECT Id FROM EventLogFile LIMIT 1");
    await query(sim, token, "SELECT Id FROM EventLogFile LIMIT 1");
    const stats = (await (await fetch(`${sim.url}/__sim/stats`)).json()) as Record<string, unknown>;
    expect(stats).toEqual({
      time: "2026-11-20T15:00:00.000Z",
      requests: { token: 1, query: 2 },
      apiUsage: { used: 2, max: 15000 },
    });
  });
});
