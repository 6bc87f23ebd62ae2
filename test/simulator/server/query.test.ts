import { afterEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../../src/simulator/server/index.js";
import { get, type QueryPage, query, queryPath, START, startOrg, tokenFor, V } from "./helpers.js";

const DATETIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$/;

async function rawQuery(sim: Simulator, token: string, soql: string, headers: Record<string, string> = {}) {
  const res = await get(sim, queryPath(soql), token, headers);
  return { status: res.status, text: await res.text() };
}

async function allPages(sim: Simulator, token: string, first: QueryPage) {
  const pages = [first];
  while (pages.at(-1)!.nextRecordsUrl !== undefined) {
    const res = await get(sim, pages.at(-1)!.nextRecordsUrl!, token);
    expect(res.status).toBe(200);
    pages.push((await res.json()) as QueryPage);
  }
  return pages;
}

describe("GET /query over EventLogFile", () => {
  let sim: Simulator;
  afterEach(() => sim.close());

  it("answers records the way Salesforce writes them", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    const soql =
      "SELECT Id, EventType, LogDate, CreatedDate, Interval, Sequence, LogFile, LogFileLength, ApiVersion " +
      "FROM EventLogFile WHERE Interval = 'Hourly' ORDER BY CreatedDate DESC LIMIT 5";
    const { status, text } = await rawQuery(sim, token, soql);
    expect(status).toBe(200);
    // Doubles keep their ".0" in the JSON text itself.
    expect(text).toMatch(/"LogFileLength":\d+\.0[,}]/);
    expect(text).toMatch(/"ApiVersion":64\.0[,}]/);
    const page = JSON.parse(text) as QueryPage;
    expect(page.totalSize).toBe(5);
    expect(page.done).toBe(true);
    expect(page).not.toHaveProperty("nextRecordsUrl");
    const record = page.records[0];
    expect(Object.keys(record)).toEqual([
      "attributes",
      "Id",
      "EventType",
      "LogDate",
      "CreatedDate",
      "Interval",
      "Sequence",
      "LogFile",
      "LogFileLength",
      "ApiVersion",
    ]);
    expect(record.attributes).toEqual({
      type: "EventLogFile",
      url: `${V}/sobjects/EventLogFile/${record.Id}`,
    });
    expect(record.LogFile).toBe(`${V}/sobjects/EventLogFile/${record.Id}/LogFile`);
    expect(record.CreatedDate).toMatch(DATETIME);
    expect(record.LogDate).toMatch(/T\d\d:00:00\.000\+0000$/);
    expect(record.Interval).toBe("Hourly");
    expect(Date.parse((record.CreatedDate as string).replace("+0000", "Z"))).toBeLessThanOrEqual(
      Date.parse(START),
    );
    const created = page.records.map((r) => r.CreatedDate as string);
    expect([...created].sort().reverse()).toEqual(created);
  });

  it("names the record in attributes even when Id is not selected", async () => {
    sim = await startOrg();
    const page = await query(sim, await tokenFor(sim), "SELECT EventType FROM EventLogFile LIMIT 1");
    expect(Object.keys(page.records[0])).toEqual(["attributes", "EventType"]);
    expect((page.records[0].attributes as { url: string }).url).toMatch(
      /\/sobjects\/EventLogFile\/0AT\w{15}$/,
    );
  });

  it("answers SELECT COUNT() with totalSize only", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    const count = await query(sim, token, "SELECT COUNT() FROM EventLogFile WHERE EventType = 'Login'");
    const logins = await query(sim, token, "SELECT Id FROM EventLogFile WHERE EventType = 'Login'");
    expect(count.records).toEqual([]);
    expect(count.totalSize).toBe(logins.totalSize);
    expect(count.totalSize).toBeGreaterThan(0);
  });

  it("pages with batchSize, held between 200 and 2000", async () => {
    sim = await startOrg({ days: 2 });
    const token = await tokenFor(sim);
    const soql = "SELECT Id FROM EventLogFile ORDER BY CreatedDate, Id";
    const res = await get(sim, queryPath(soql), token, { "Sforce-Query-Options": "batchSize=50" });
    const first = (await res.json()) as QueryPage;
    expect(first.totalSize).toBeGreaterThan(400);
    // 50 is below Salesforce's minimum: pages hold 200.
    expect(first.records).toHaveLength(200);
    expect(first.done).toBe(false);
    expect(first.nextRecordsUrl).toMatch(/^\/services\/data\/v64\.0\/query\/01g\w+-200$/);
    const pages = await allPages(sim, token, first);
    const ids = pages.flatMap((p) => p.records.map((r) => r.Id as string));
    expect(ids).toHaveLength(first.totalSize);
    expect(new Set(ids).size).toBe(ids.length);
    expect(pages.every((p) => p.totalSize === first.totalSize)).toBe(true);
    expect(pages.at(-1)!.done).toBe(true);
    const unpaged = await query(sim, token, soql);
    expect(unpaged.records.map((r) => r.Id)).toEqual(ids);
  });

  it("pages at the scenario's forced size", async () => {
    sim = await startOrg({ query: { max_page_size: 7 } });
    const token = await tokenFor(sim);
    const first = await query(sim, token, "SELECT Id FROM EventLogFile LIMIT 20");
    expect(first.records).toHaveLength(7);
    const pages = await allPages(sim, token, first);
    expect(pages.map((p) => p.records.length)).toEqual([7, 7, 6]);
  });

  it("lets a query locator die after its TTL without use, and when too many are open", async () => {
    sim = await startOrg({ query: { max_page_size: 5, locator_ttl: "10m", max_open_locators: 2 } });
    const token = await tokenFor(sim);
    const soql = "SELECT Id FROM EventLogFile LIMIT 20";
    const first = await query(sim, token, soql);
    sim.clock.advance("9m");
    const second = await get(sim, first.nextRecordsUrl!, token);
    expect(second.status).toBe(200);
    const next = ((await second.json()) as QueryPage).nextRecordsUrl!;
    sim.clock.advance("10m");
    const expired = await get(sim, next, token);
    expect(expired.status).toBe(400);
    expect(await expired.json()).toEqual([
      { message: "invalid query locator", errorCode: "INVALID_QUERY_LOCATOR" },
    ]);

    const a = await query(sim, token, soql);
    const b = await query(sim, token, soql);
    const c = await query(sim, token, soql);
    expect((await get(sim, a.nextRecordsUrl!, token)).status).toBe(400);
    expect((await get(sim, b.nextRecordsUrl!, token)).status).toBe(200);
    expect((await get(sim, c.nextRecordsUrl!, token)).status).toBe(200);
  });

  it("answers bad SOQL with MALFORMED_QUERY and unknown fields with INVALID_FIELD", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    const malformed = await rawQuery(sim, token, "SELECT Id FROM EventLogFile WHERE");
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.text)[0].errorCode).toBe("MALFORMED_QUERY");
    const empty = await rawQuery(sim, token, "");
    expect(JSON.parse(empty.text)).toEqual([
      { message: "SOQL statements cannot be empty or null", errorCode: "MALFORMED_QUERY" },
    ]);
    const unknown = await rawQuery(sim, token, "SELECT Id, Nope FROM EventLogFile");
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.text)[0].errorCode).toBe("INVALID_FIELD");
  });

  it("has no Interval in an org without hourly files: the trap Sekoia.io's guide warns about", async () => {
    sim = await startOrg({ org: { hourly: false } });
    const token = await tokenFor(sim);
    const soql = "SELECT Id , EventType , Interval , LogDate , LogFile , LogFileLength FROM EventLogFile";
    const { status, text } = await rawQuery(sim, token, soql);
    expect(status).toBe(400);
    const [error] = JSON.parse(text) as { message: string; errorCode: string }[];
    expect(error.errorCode).toBe("INVALID_FIELD");
    expect(error.message).toContain("No such column 'Interval' on entity 'EventLogFile'.");
    expect(error.message).toContain("ERROR at Row:1:Column:");
    const filtered = await rawQuery(sim, token, "SELECT Id FROM EventLogFile WHERE Sequence > 0");
    expect(JSON.parse(filtered.text)[0].errorCode).toBe("INVALID_FIELD");
    const daily = await query(sim, token, "SELECT Id, EventType FROM EventLogFile");
    expect(daily.totalSize).toBeGreaterThan(0);
  });

  it("answers INVALID_TYPE without the View Event Log Files permission", async () => {
    sim = await startOrg({ org: { event_log_file_access: false } });
    const { status, text } = await rawQuery(sim, await tokenFor(sim), "SELECT Id FROM EventLogFile");
    expect(status).toBe(400);
    const [error] = JSON.parse(text) as { message: string; errorCode: string }[];
    expect(error.errorCode).toBe("INVALID_TYPE");
    expect(error.message).toContain("sObject type 'EventLogFile' is not supported.");
  });

  it("shows only licensed event types, and the free ones", async () => {
    sim = await startOrg({ org: { event_types: ["URI"] } });
    const token = await tokenFor(sim);
    const page = await query(sim, token, "SELECT EventType FROM EventLogFile");
    const types = new Set(page.records.map((r) => r.EventType));
    expect(types.has("URI")).toBe(true);
    expect(types.has("Login")).toBe(true);
    expect(types.has("API")).toBe(false);
    expect(types.has("Report")).toBe(false);
  });

  it("filters with date literals relative to the simulated clock", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    const yesterday = await query(
      sim,
      token,
      "SELECT Id, CreatedDate FROM EventLogFile WHERE CreatedDate = YESTERDAY",
    );
    expect(yesterday.totalSize).toBeGreaterThan(0);
    for (const r of yesterday.records) expect(r.CreatedDate as string).toMatch(/^2026-11-19T/);
  });
});
