import { describe, expect, it } from "vitest";
import type { UnitBatch } from "../../../src/core/source.js";
import { createLogger } from "../../../src/observability/logger.js";
import { objectKind } from "../../../src/sources/objects/catalog.js";
import { windowQuery } from "../../../src/sources/objects/query.js";
import { type ObjectsApi, ObjectSource } from "../../../src/sources/objects/source.js";

const MIN = 60_000;
const plan = { lookback: 61 * MIN, lag: MIN, overlap: 15 * MIN, window: 60 * MIN };
const window = { from: new Date("2026-11-20T09:00:00Z"), to: new Date("2026-11-20T10:00:00Z") };

describe("windowQuery", () => {
  it("reads a big object by EventDate, descending, the only order Salesforce allows on it", () => {
    expect(windowQuery(objectKind("LoginEvent")!, ["EventDate", "EventIdentifier", "UserId"], window)).toBe(
      "SELECT EventDate, EventIdentifier, UserId FROM LoginEvent WHERE EventDate > 2026-11-20T09:00:00Z AND EventDate <= 2026-11-20T10:00:00Z ORDER BY EventDate DESC",
    );
  });

  it("reads a standard object in (timestamp, Id) order on the field that says when a row was stored", () => {
    expect(windowQuery(objectKind("loginhistory")!, ["Id", "LoginTime"], window)).toBe(
      "SELECT Id, LoginTime FROM LoginHistory WHERE LoginTime > 2026-11-20T09:00:00Z AND LoginTime <= 2026-11-20T10:00:00Z ORDER BY LoginTime ASC, Id ASC",
    );
    expect(windowQuery(objectKind("SessionHijackingEventStore")!, ["Id"], window)).toContain(
      "WHERE CreatedDate > 2026-11-20T09:00:00Z",
    );
  });
});

/** Salesforce's answers, scripted: a describe and pages of records. */
function api(options: {
  describeError?: object;
  pages?: Record<string, unknown>[][];
}): ObjectsApi & { queries: string[] } {
  const queries: string[] = [];
  return {
    queries,
    async describe() {
      if (options.describeError) throw Object.assign(new Error("describe failed"), options.describeError);
      return {
        fields: [
          { name: "Id", type: "id" },
          { name: "EventDate", type: "datetime" },
          { name: "EventIdentifier", type: "string" },
          { name: "SourceIp", type: "string" },
          { name: "LoginGeo", type: "location" },
        ],
      };
    },
    async *query<T>(soql: string) {
      queries.push(soql);
      for (const page of options.pages ?? [[]]) yield page as T[];
    },
  };
}

async function readAll(batches: AsyncIterable<UnitBatch>) {
  const events = [];
  for await (const batch of batches) events.push(...batch.events);
  return events;
}

describe("ObjectSource", () => {
  const logger = createLogger({ level: "silent" });
  const now = () => new Date("2026-11-20T10:01:00Z");

  it("writes each record as Salesforce returns it, without attributes, naming its object, keyed by its identity", async () => {
    const record = {
      attributes: { type: "LoginEvent", url: "/services/data/v64.0/sobjects/LoginEvent/000000000000000AAA" },
      Id: "000000000000000AAA",
      EventDate: "2026-11-20T09:30:00.123+0000",
      EventIdentifier: "a1b2c3",
      SourceIp: "192.0.2.10",
    };
    const salesforce = api({ pages: [[record], [{ ...record, EventIdentifier: "d4e5f6" }]] });
    const source = new ObjectSource({
      api: salesforce,
      logger,
      kind: objectKind("LoginEvent")!,
      plan,
      required: true,
      now,
    });
    await source.open();
    expect(source.id).toBe("objects:LoginEvent");
    const { units } = await source.list(undefined);
    expect(units.map((u) => u.key)).toEqual(["2026-11-20T09:00:00.000Z/2026-11-20T10:00:00.000Z"]);
    const events = await readAll(units[0].read(new AbortController().signal));
    // Compound fields are left out: their parts are fields of their own.
    expect(salesforce.queries[0]).toMatch(
      /^SELECT Id, EventDate, EventIdentifier, SourceIp FROM LoginEvent /,
    );
    expect(events.map((e) => JSON.parse(e.json))).toEqual([
      {
        Id: "000000000000000AAA",
        EventDate: "2026-11-20T09:30:00.123+0000",
        EventIdentifier: "a1b2c3",
        SourceIp: "192.0.2.10",
        sobject: "LoginEvent",
      },
      {
        Id: "000000000000000AAA",
        EventDate: "2026-11-20T09:30:00.123+0000",
        EventIdentifier: "d4e5f6",
        SourceIp: "192.0.2.10",
        sobject: "LoginEvent",
      },
    ]);
    expect(events.map((e) => [e.identity, e.line, e.origin.eventType])).toEqual([
      ["a1b2c3", 1, "LoginEvent"],
      ["d4e5f6", 2, "LoginEvent"],
    ]);
    expect(units[0]).toMatchObject({ scope: "LoginEvent", position: "2026-11-20T10:00:00.000Z" });
  });

  it("hands a full page to the engine in slices, letting go of each record the page held once it is an event", async () => {
    const page = Array.from({ length: 2000 }, (_, i) => ({
      EventDate: "2026-11-20T09:30:00.000+0000",
      EventIdentifier: `e${i}`,
    }));
    const source = new ObjectSource({
      api: api({ pages: [page] }),
      logger,
      kind: objectKind("LoginEvent")!,
      plan,
      required: true,
      now,
    });
    await source.open();
    const { units } = await source.list(undefined);
    const sizes: number[] = [];
    const lines: number[] = [];
    for await (const batch of units[0].read(new AbortController().signal)) {
      sizes.push(batch.events.length);
      lines.push(...batch.events.map((e) => e.line));
    }
    // Only the slices the outputs have not taken stay alive, not the whole page of 2,000 records.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(250);
    expect(lines).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    expect(page.every((record) => record === undefined)).toBe(true);
  });

  it("leaves out a default object the user cannot read, and tells at every poll about one named in the configuration", async () => {
    const invalidType = { errorCode: "INVALID_TYPE", status: 400 };
    const optional = new ObjectSource({
      api: api({ describeError: invalidType }),
      logger,
      kind: objectKind("ApiEvent")!,
      plan,
      required: false,
      now,
    });
    await optional.open();
    expect((await optional.list(undefined)).units).toEqual([]);

    const named = new ObjectSource({
      api: api({ describeError: invalidType }),
      logger,
      kind: objectKind("ApiEvent")!,
      plan,
      required: true,
      now,
    });
    await expect(named.open()).rejects.toMatchObject({
      action: "end-cycle",
      message: expect.stringContaining("View Real-Time Event Monitoring Data"),
    });
  });

  it("passes on an error that does not mean the object is out of reach", async () => {
    const source = new ObjectSource({
      api: api({ describeError: { errorCode: "SERVER_UNAVAILABLE", status: 503 } }),
      logger,
      kind: objectKind("LoginEvent")!,
      plan,
      required: false,
      now,
    });
    await expect(source.open()).rejects.toThrow("describe failed");
  });
});
