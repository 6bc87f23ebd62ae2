import { afterEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../../src/simulator/server/index.js";
import { get, type QueryPage, queryPath, START, startOrg, tokenFor, V } from "./helpers.js";

type Row = Record<string, unknown>;

async function rawQuery(sim: Simulator, token: string, soql: string, headers: Record<string, string> = {}) {
  const res = await get(sim, queryPath(soql), token, headers);
  return { status: res.status, body: (await res.json()) as unknown };
}

/** Every page of a query, following nextRecordsUrl. */
async function readAll(sim: Simulator, token: string, soql: string, batchSize?: number) {
  const headers: Record<string, string> =
    batchSize === undefined ? {} : { "Sforce-Query-Options": `batchSize=${batchSize}` };
  let res = await get(sim, queryPath(soql), token, headers);
  const pages: QueryPage<Row>[] = [];
  while (true) {
    expect(res.status).toBe(200);
    const page = (await res.json()) as QueryPage<Row>;
    pages.push(page);
    if (page.nextRecordsUrl === undefined) break;
    res = await get(sim, page.nextRecordsUrl, token, headers);
  }
  return { pages, records: pages.flatMap((p) => p.records) };
}

async function groundTruth(sim: Simulator, object: string): Promise<Row[]> {
  const text = await (await fetch(`${sim.url}/__sim/objects/rows?object=${object}`)).text();
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => (JSON.parse(l) as { record: Row }).record);
}

const HOUR = 3_600_000;
const at = (ms: number) => new Date(ms).toISOString();
const ms = (sf: unknown) => Date.parse(String(sf).replace("+0000", "Z"));
const WINDOW = `EventDate > ${at(Date.parse(START) - 6 * HOUR)} AND EventDate <= ${START}`;

describe("RTEM big objects over /query", () => {
  let sim: Simulator;
  afterEach(() => sim.close());

  it("answers a window in EventDate DESC order with realistic fields and empty ids", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    const { records } = await readAll(
      sim,
      token,
      `SELECT Id, EventDate, EventIdentifier, CreatedDate, UserId, Username, SourceIp, LoginKey, Status FROM LoginEvent WHERE ${WINDOW} ORDER BY EventDate DESC`,
    );
    expect(records.length).toBeGreaterThan(10);
    const dates = records.map((r) => ms(r.EventDate));
    expect([...dates].sort((a, b) => b - a)).toEqual(dates);
    for (const r of records) {
      expect(r.attributes).toEqual({
        type: "LoginEvent",
        url: `${V}/sobjects/LoginEvent/000000000000000AAA`,
      });
      expect(r.Id).toBe("000000000000000AAA");
      expect(r.EventIdentifier).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(r.UserId).toMatch(/^005\w{15}$/);
      expect(r.SourceIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(ms(r.CreatedDate)).toBeGreaterThanOrEqual(ms(r.EventDate));
      expect(ms(r.CreatedDate)).toBeLessThanOrEqual(Date.parse(START));
    }
    expect(new Set(records.map((r) => r.EventIdentifier)).size).toBe(records.length);
  });

  it.each([
    [`SELECT EventDate FROM LoginEvent WHERE ${WINDOW}`],
    [`SELECT EventDate FROM LoginEvent WHERE EventDate = ${START} AND EventIdentifier > 'a'`],
    [`SELECT EventDate FROM LoginEvent WHERE EventDate IN (${START}) AND EventIdentifier = 'x'`],
    [`SELECT EventDate FROM ReportEvent WHERE UserId = '005000000000000AAA'`],
    [`SELECT EventDate FROM ReportEvent WHERE UserId = '005000000000000AAA' AND EventDate > ${START}`],
    [`SELECT EventDate FROM ApiEvent WHERE ${WINDOW} ORDER BY EventDate DESC LIMIT 5`],
    ["SELECT EventDate FROM ApiEvent"],
  ])("accepts %s", async (soql) => {
    sim = await startOrg();
    expect((await rawQuery(sim, await tokenFor(sim), soql)).status).toBe(200);
  });

  it.each([
    [
      `SELECT EventDate FROM LoginEvent WHERE ${WINDOW} ORDER BY EventDate ASC`,
      "BIG_OBJECT_UNSUPPORTED_OPERATION",
      "Unsupported order direction on filter column EventDate: ASCENDING",
    ],
    [
      `SELECT EventDate FROM LoginEvent WHERE ${WINDOW} ORDER BY EventDate`,
      "BIG_OBJECT_UNSUPPORTED_OPERATION",
      "ASCENDING",
    ],
    [
      `SELECT EventDate FROM LoginEvent ORDER BY EventDate DESC, Id`,
      "BIG_OBJECT_UNSUPPORTED_OPERATION",
      "Unsupported order by clause",
    ],
    [
      `SELECT EventDate FROM LoginEvent ORDER BY Username DESC`,
      "BIG_OBJECT_UNSUPPORTED_OPERATION",
      "Unsupported order by column Username",
    ],
    [
      "SELECT COUNT() FROM LoginEvent",
      "BIG_OBJECT_UNSUPPORTED_OPERATION",
      "Aggregate queries are not supported",
    ],
    [
      `SELECT EventDate FROM LoginEvent WHERE ${WINDOW} LIMIT 10 OFFSET 5`,
      "BIG_OBJECT_UNSUPPORTED_OPERATION",
      "OFFSET is not supported",
    ],
    [
      `SELECT EventDate FROM LoginEvent WHERE Username = 'a@b.c'`,
      "INVALID_QUERY_FILTER_OPERATOR",
      "field 'Username' is not an index field of big object LoginEvent",
    ],
    [
      `SELECT EventDate FROM LoginEvent WHERE ${WINDOW} AND SourceIp = '1.2.3.4'`,
      "INVALID_QUERY_FILTER_OPERATOR",
      "field 'SourceIp' is not an index field",
    ],
    [
      `SELECT EventDate FROM LoginEvent WHERE EventIdentifier = 'x'`,
      "INVALID_QUERY_FILTER_OPERATOR",
      "without the index fields before it",
    ],
    [
      `SELECT EventDate FROM ReportEvent WHERE EventIdentifier = 'x'`,
      "INVALID_QUERY_FILTER_OPERATOR",
      "without the index fields before it",
    ],
    [
      `SELECT EventDate FROM ApiEvent WHERE EventDate > ${START} AND EventIdentifier = 'x'`,
      "INVALID_QUERY_FILTER_OPERATOR",
      "range operator on 'EventDate'",
    ],
    [
      `SELECT EventDate FROM ApiEvent WHERE EventDate != ${START}`,
      "INVALID_QUERY_FILTER_OPERATOR",
      "!= is not supported",
    ],
    [
      `SELECT EventDate FROM ApiEvent WHERE EventDate NOT IN (${START})`,
      "INVALID_QUERY_FILTER_OPERATOR",
      "NOT IN is not supported",
    ],
    [
      `SELECT EventDate FROM ApiEvent WHERE EventDate = ${START} AND EventIdentifier LIKE 'a%'`,
      "INVALID_QUERY_FILTER_OPERATOR",
      "LIKE is not supported",
    ],
    [
      `SELECT EventDate FROM ApiEvent WHERE EventDate IN (${START}) AND EventIdentifier IN ('a')`,
      "INVALID_QUERY_FILTER_OPERATOR",
      "IN can be used only once",
    ],
    [
      `SELECT EventDate FROM ApiEvent WHERE EventDate > ${START} OR EventDate < ${START}`,
      "INVALID_QUERY_FILTER_OPERATOR",
      "OR is not supported",
    ],
    [`SELECT Nope FROM ApiEvent`, "INVALID_FIELD", "No such column 'Nope' on entity 'ApiEvent'"],
  ])("refuses %s", async (soql, code, fragment) => {
    sim = await startOrg();
    const { status, body } = await rawQuery(sim, await tokenFor(sim), soql);
    expect(status).toBe(400);
    const [error] = body as { errorCode: string; message: string }[];
    expect(error.errorCode).toBe(code);
    expect(error.message).toContain(fragment);
  });

  it("pages with nextRecordsUrl in batches of batchSize, and the pages add up to the ground truth", async () => {
    sim = await startOrg({ objects: { rows_per_hour: { LightningUriEvent: 300 } } });
    const token = await tokenFor(sim);
    const soql = `SELECT EventIdentifier, EventDate FROM LightningUriEvent WHERE ${WINDOW} ORDER BY EventDate DESC`;
    const { pages, records } = await readAll(sim, token, soql, 200);
    expect(pages.length).toBeGreaterThan(2);
    for (const p of pages.slice(0, -1)) {
      expect(p.records).toHaveLength(200);
      expect(p.done).toBe(false);
      expect(p.nextRecordsUrl).toMatch(/^\/services\/data\/v64\.0\/query\/01g\w{15}-\d+$/);
    }
    expect(pages.at(-1)!.done).toBe(true);
    expect(pages.every((p) => p.totalSize === records.length)).toBe(true);
    const lo = Date.parse(START) - 6 * HOUR;
    const truth = (await groundTruth(sim, "LightningUriEvent"))
      .filter((r) => ms(r.EventDate) > lo && ms(r.EventDate) <= Date.parse(START))
      .map((r) => r.EventIdentifier)
      .sort();
    expect(records.map((r) => r.EventIdentifier).sort()).toEqual(truth);
  });

  it("shows a row only once the clock reaches its CreatedDate, late rows included", async () => {
    sim = await startOrg({
      objects: { late_share: 0.3, late_delay: "3h", rows_per_hour: { ApiEvent: 200 } },
    });
    const token = await tokenFor(sim);
    const soql = `SELECT EventIdentifier, EventDate, CreatedDate FROM ApiEvent WHERE ${WINDOW} ORDER BY EventDate DESC`;
    const before = (await readAll(sim, token, soql)).records;
    for (const r of before) expect(ms(r.CreatedDate)).toBeLessThanOrEqual(Date.parse(START));
    sim.clock.advance("4h");
    const after = (await readAll(sim, await tokenFor(sim), soql)).records;
    const seen = new Set(before.map((r) => r.EventIdentifier));
    const late = after.filter((r) => !seen.has(r.EventIdentifier));
    expect(late.length).toBeGreaterThan(0);
    for (const r of late) {
      expect(ms(r.CreatedDate)).toBeGreaterThan(Date.parse(START));
      expect(ms(r.CreatedDate) - ms(r.EventDate)).toBeGreaterThanOrEqual(5 * 60_000);
    }
    // Nothing disappears as time passes.
    expect(before.every((r) => after.some((a) => a.EventIdentifier === r.EventIdentifier))).toBe(true);
  });

  it("has many rows in the same millisecond", async () => {
    sim = await startOrg({ objects: { tie_share: 0.4, rows_per_hour: { ApiEvent: 200 } } });
    const { records } = await readAll(
      sim,
      await tokenFor(sim),
      `SELECT EventIdentifier, EventDate FROM ApiEvent WHERE ${WINDOW} ORDER BY EventDate DESC`,
    );
    const perMs = new Map<unknown, number>();
    for (const r of records) perMs.set(r.EventDate, (perMs.get(r.EventDate) ?? 0) + 1);
    expect(Math.max(...perMs.values())).toBeGreaterThanOrEqual(3);
    expect(new Set(records.map((r) => r.EventIdentifier)).size).toBe(records.length);
  });

  it("serves a burst in one millisecond, EventDate = that instant, page after page", async () => {
    const burstAt = Date.parse(START) - 2 * HOUR;
    sim = await startOrg({
      objects: { bursts: [{ object: "ApiEvent", rows: 5000, at: at(burstAt), span: 0 }] },
    });
    const token = await tokenFor(sim);
    const { pages, records } = await readAll(
      sim,
      token,
      `SELECT EventIdentifier, EventDate FROM ApiEvent WHERE EventDate > ${at(burstAt - 1)} AND EventDate <= ${at(burstAt)} ORDER BY EventDate DESC`,
    );
    expect(records.length).toBeGreaterThanOrEqual(5000);
    expect(pages.length).toBe(Math.ceil(records.length / 2000));
    expect(new Set(records.map((r) => r.EventIdentifier)).size).toBe(records.length);
    expect(new Set(records.map((r) => r.EventDate))).toEqual(new Set([at(burstAt).replace("Z", "+0000")]));
  });

  it("gives the same rows for the same seed", async () => {
    const soql = `SELECT EventIdentifier, EventDate, UserId, SourceIp, Query FROM ApiEvent WHERE ${WINDOW} ORDER BY EventDate DESC`;
    sim = await startOrg();
    const first = (await readAll(sim, await tokenFor(sim), soql)).records;
    await sim.close();
    sim = await startOrg();
    expect((await readAll(sim, await tokenFor(sim), soql)).records).toEqual(first);
    await sim.close();
    sim = await startOrg({ seed: 4 });
    expect((await readAll(sim, await tokenFor(sim), soql)).records).not.toEqual(first);
  });
});

describe("standard objects: Threat Detection, SetupAuditTrail, LoginHistory", () => {
  let sim: Simulator;
  afterEach(() => sim.close());

  it("takes ordinary SOQL: (timestamp, Id) cursors, any filterable field, COUNT(), OFFSET", async () => {
    sim = await startOrg({ days: 2 });
    const token = await tokenFor(sim);
    const trail = await readAll(
      sim,
      token,
      "SELECT Id, Action, Section, CreatedById, CreatedDate, Display, DelegateUser FROM SetupAuditTrail ORDER BY CreatedDate ASC, Id ASC",
    );
    expect(trail.records.length).toBeGreaterThan(10);
    const keys = trail.records.map((r) => `${r.CreatedDate}/${r.Id}`);
    expect([...keys].sort()).toEqual(keys);
    expect(trail.records[0].Id).toMatch(/^0Ym\w{15}$/);
    expect(trail.records[0].attributes).toEqual({
      type: "SetupAuditTrail",
      url: `${V}/sobjects/SetupAuditTrail/${trail.records[0].Id}`,
    });
    const [mid] = trail.records.slice(5, 6);
    const resumed = await readAll(
      sim,
      token,
      `SELECT Id FROM SetupAuditTrail WHERE CreatedDate > ${at(ms(mid.CreatedDate))} OR (CreatedDate = ${at(ms(mid.CreatedDate))} AND Id > '${mid.Id}') ORDER BY CreatedDate ASC, Id ASC`,
    );
    expect(resumed.records.map((r) => r.Id)).toEqual(trail.records.slice(6).map((r) => r.Id));
    const action = String(trail.records[0].Action);
    const byAction = await readAll(
      sim,
      token,
      `SELECT Action FROM SetupAuditTrail WHERE Action = '${action}' LIMIT 3 OFFSET 1`,
    );
    expect(byAction.records.every((r) => r.Action === action)).toBe(true);
    const count = await rawQuery(sim, token, "SELECT COUNT() FROM LoginHistory");
    expect((count.body as { totalSize: number }).totalSize).toBeGreaterThan(50);
    const display = await rawQuery(sim, token, "SELECT Id FROM SetupAuditTrail WHERE Display = 'x'");
    expect((display.body as { errorCode: string }[])[0].errorCode).toBe("INVALID_FIELD");
    const ascending = await rawQuery(
      sim,
      token,
      "SELECT Id, Score FROM SessionHijackingEventStore WHERE Score > 0.5 ORDER BY CreatedDate ASC, Id ASC",
    );
    expect(ascending.status).toBe(200);
  });

  it("agrees with the Login Event Log File: the same login in LoginEvent, LoginHistory and the file", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    const events = (
      await readAll(
        sim,
        token,
        `SELECT EventDate, UserId, Username, SourceIp, LoginKey, LoginHistoryId, TlsProtocol FROM LoginEvent WHERE ${WINDOW} ORDER BY EventDate DESC`,
      )
    ).records;
    const history = new Map(
      (
        await readAll(sim, token, "SELECT Id, LoginTime, UserId, SourceIp, TlsProtocol FROM LoginHistory")
      ).records.map((r) => [r.Id, r]),
    );
    const fileRows = (await (await fetch(`${sim.url}/__sim/rows`)).text())
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as { values: Record<string, string> })
      .filter((r) => r.values.EVENT_TYPE === "Login");
    let matched = 0;
    let inHistory = 0;
    for (const e of events) {
      const h = history.get(e.LoginHistoryId);
      // Each object stores its row with its own small delay: a login may be in one and not yet the other.
      if (h === undefined) continue;
      inHistory++;
      expect(h!.UserId).toBe(e.UserId);
      expect(h!.SourceIp).toBe(e.SourceIp);
      expect(h!.TlsProtocol).toBe(e.TlsProtocol);
      expect(ms(h!.LoginTime)).toBe(Math.floor(ms(e.EventDate) / 1000) * 1000);
      const row = fileRows.find(
        (r) => r.values.TIMESTAMP_DERIVED === at(ms(e.EventDate)) && r.values.USER_ID_DERIVED === e.UserId,
      );
      if (row === undefined) continue; // its hour's file is not out yet
      matched++;
      expect(row.values.SOURCE_IP).toBe(e.SourceIp);
      expect(row.values.LOGIN_KEY).toBe(e.LoginKey ?? "");
      expect(row.values.USER_NAME).toBe(e.Username);
    }
    expect(inHistory).toBeGreaterThan(events.length * 0.9);
    expect(matched).toBeGreaterThan(5);
  });
});

describe("licence, permissions and API version", () => {
  let sim: Simulator;
  afterEach(() => sim.close());

  const notSupported = (object: string) => ({
    errorCode: "INVALID_TYPE",
    message: expect.stringContaining(`sObject type '${object}' is not supported.`),
  });

  it("answers INVALID_TYPE for RTEM objects without the Event Monitoring licence; standard ones stay", async () => {
    sim = await startOrg({ objects: { event_monitoring: false } });
    const token = await tokenFor(sim);
    const q = await rawQuery(sim, token, `SELECT EventDate FROM LoginEvent WHERE ${WINDOW}`);
    expect(q.status).toBe(400);
    expect(q.body).toEqual([notSupported("LoginEvent")]);
    const d = await get(sim, `${V}/sobjects/SessionHijackingEventStore/describe`, token);
    expect(d.status).toBe(400);
    expect(await d.json()).toEqual([notSupported("SessionHijackingEventStore")]);
    expect((await rawQuery(sim, token, "SELECT Id FROM SetupAuditTrail LIMIT 1")).status).toBe(200);
    const names = (
      (await (await get(sim, `${V}/sobjects`, token)).json()) as { sobjects: { name: string }[] }
    ).sobjects.map((s) => s.name);
    expect(names).toContain("LoginHistory");
    expect(names).not.toContain("LoginEvent");
  });

  it("answers INVALID_TYPE for objects the run-as user may not read, and describes the others", async () => {
    sim = await startOrg({ objects: { readable: ["LoginEvent"] } });
    const token = await tokenFor(sim);
    expect((await rawQuery(sim, token, "SELECT Id FROM LoginHistory")).body).toEqual([
      notSupported("LoginHistory"),
    ]);
    expect((await rawQuery(sim, token, "SELECT EventDate FROM ApiEvent")).body).toEqual([
      notSupported("ApiEvent"),
    ]);
    const d = await get(sim, `${V}/sobjects/LoginEvent/describe`, token);
    expect(d.status).toBe(200);
    const describe = (await d.json()) as { name: string; fields: { name: string; filterable: boolean }[] };
    expect(describe.name).toBe("LoginEvent");
    expect(describe.fields.map((f) => f.name)).toEqual(
      expect.arrayContaining(["EventDate", "EventIdentifier", "LoginKey", "SessionKey", "SourceIp"]),
    );
  });

  it("has LoginAnomalyEventStore and GuestUserAnomalyEventStore from API 64.0 only", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    for (const object of ["LoginAnomalyEventStore", "GuestUserAnomalyEventStore"]) {
      expect(
        (await get(sim, `${V}/query?q=${encodeURIComponent(`SELECT Id FROM ${object}`)}`, token)).status,
      ).toBe(200);
      const old = await get(
        sim,
        `/services/data/v63.0/query?q=${encodeURIComponent(`SELECT Id FROM ${object}`)}`,
        token,
      );
      expect(old.status).toBe(400);
      expect(await old.json()).toEqual([notSupported(object)]);
    }
  });

  it("refuses a scenario naming an object it does not serve, or a burst on a standard object", async () => {
    await expect(startOrg({ objects: { readable: ["LoginEvents"] } })).rejects.toThrow(/LoginEvents/);
    await expect(
      startOrg({ objects: { bursts: [{ object: "LoginHistory", rows: 10, at: START }] } }),
    ).rejects.toThrow(/standard object/);
    sim = await startOrg();
  });
});

describe("faults on object queries", () => {
  let sim: Simulator;
  afterEach(() => sim.close());

  it("fails the second page of one object's query with a 401, then serves it on retry", async () => {
    sim = await startOrg({ objects: { rows_per_hour: { ApiEvent: 300 } } });
    const token = await tokenFor(sim);
    sim.faults.add({ status: 401, route: "queryMore", object: "ApiEvent" });
    sim.faults.add({ status: 503, route: "query", object: "LoginEvent" });
    const soql = `SELECT EventIdentifier FROM ApiEvent WHERE ${WINDOW} ORDER BY EventDate DESC`;
    const headers = { "Sforce-Query-Options": "batchSize=200" };
    const first = (await (await get(sim, queryPath(soql), token, headers)).json()) as QueryPage<Row>;
    const failed = await get(sim, first.nextRecordsUrl!, token, headers);
    expect(failed.status).toBe(401);
    expect(await failed.json()).toEqual([
      { message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" },
    ]);
    const retried = await get(sim, first.nextRecordsUrl!, token, headers);
    expect(retried.status).toBe(200);
    const second = (await retried.json()) as QueryPage<Row>;
    const again = (await (await get(sim, first.nextRecordsUrl!, token, headers)).json()) as QueryPage<Row>;
    expect(again.records).toEqual(second.records);
    expect((await get(sim, queryPath("SELECT Id FROM SetupAuditTrail"), token)).status).toBe(200);
    expect(
      (await get(sim, queryPath(`SELECT EventDate FROM LoginEvent WHERE ${WINDOW}`), token)).status,
    ).toBe(503);
  });
});
