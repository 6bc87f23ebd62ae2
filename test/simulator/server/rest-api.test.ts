import { afterEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../../src/simulator/server/index.js";
import { get, startOrg, tokenFor, V } from "./helpers.js";

const NOT_FOUND = [{ message: "The requested resource does not exist", errorCode: "NOT_FOUND" }];

describe("the REST API's versions and resources", () => {
  let sim: Simulator;
  afterEach(() => sim.close());

  it("lists versions 31.0 to the newest without a token and without counting", async () => {
    sim = await startOrg({ org: { api_version: "64.0" } });
    const res = await get(sim, "/services/data/");
    expect(res.status).toBe(200);
    expect(res.headers.get("sforce-limit-info")).toBeNull();
    const versions = (await res.json()) as { label: string; url: string; version: string }[];
    expect(versions[0]).toEqual({ label: "Summer '14", url: "/services/data/v31.0", version: "31.0" });
    expect(versions.at(-1)).toEqual({ label: "Summer '25", url: "/services/data/v64.0", version: "64.0" });
    expect(versions.find((v) => v.version === "62.0")?.label).toBe("Winter '25");
    expect(versions).toHaveLength(34);
  });

  it("answers the resources of a version, 410 for a retired one and 404 for one not released", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    const resources = await get(sim, `${V}/`, token);
    expect(resources.status).toBe(200);
    expect(resources.headers.get("sforce-limit-info")).toBe("api-usage=1/15000");
    expect(await resources.json()).toMatchObject({ query: `${V}/query`, limits: `${V}/limits` });

    const retired = await get(sim, "/services/data/v30.0/limits", token);
    expect(retired.status).toBe(410);
    expect(((await retired.json()) as { errorCode: string }[])[0].errorCode).toBe("GONE");
    const future = await get(sim, "/services/data/v65.0/limits", token);
    expect(future.status).toBe(404);
    expect(await future.json()).toEqual(NOT_FOUND);
  });

  it("answers unknown resources 404 and other methods 405", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    const unknown = await get(sim, `${V}/sobjects/Account/describe`, token);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual(NOT_FOUND);
    const post = await fetch(`${sim.url}${V}/limits`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(post.status).toBe(405);
    expect(((await post.json()) as { errorCode: string }[])[0].errorCode).toBe("METHOD_NOT_ALLOWED");
  });
});

describe("API usage", () => {
  let sim: Simulator;
  afterEach(() => sim.close());

  it("counts every call in Sforce-Limit-Info and /limits", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    for (let i = 1; i <= 3; i++) {
      const res = await get(sim, `${V}/limits`, token);
      expect(res.headers.get("sforce-limit-info")).toBe(`api-usage=${i}/15000`);
      const limits = (await res.json()) as { DailyApiRequests: { Max: number; Remaining: number } };
      expect(limits.DailyApiRequests).toEqual({ Max: 15000, Remaining: 15000 - i });
    }
  });

  it("refuses calls once the allowance is spent, until simulated midnight", async () => {
    sim = await startOrg({ api: { daily_limit: 3 } });
    const token = await tokenFor(sim);
    for (let i = 0; i < 3; i++) expect((await get(sim, `${V}/limits`, token)).status).toBe(200);
    const refused = await get(sim, `${V}/limits`, token);
    expect(refused.status).toBe(403);
    expect(refused.headers.get("sforce-limit-info")).toBe("api-usage=3/3");
    expect(await refused.json()).toEqual([
      { message: "TotalRequests Limit exceeded.", errorCode: "REQUEST_LIMIT_EXCEEDED" },
    ]);
    // START is 15:00 UTC: nine hours later a new day has begun (the token lives 2 h, so take a new one).
    sim.clock.advance("9h");
    const res = await get(sim, `${V}/limits`, await tokenFor(sim));
    expect(res.status).toBe(200);
    expect(res.headers.get("sforce-limit-info")).toBe("api-usage=1/3");
  });

  it("is restored by the admin route", async () => {
    sim = await startOrg({ api: { daily_limit: 2 } });
    const token = await tokenFor(sim);
    await get(sim, `${V}/limits`, token);
    await get(sim, `${V}/limits`, token);
    expect((await get(sim, `${V}/limits`, token)).status).toBe(403);
    const reset = await fetch(`${sim.url}/__sim/api-usage`, { method: "POST", body: "{}" });
    expect(reset.status).toBe(200);
    expect((await get(sim, `${V}/limits`, token)).status).toBe(200);
  });
});

describe("GET .../sobjects/EventLogFile/describe", () => {
  let sim: Simulator;
  afterEach(() => sim.close());

  interface Describe {
    name: string;
    fields: { name: string; type: string; filterable: boolean; picklistValues: { value: string }[] }[];
  }

  it("lists Interval and Sequence only when hourly files are on, and the EventType picklist", async () => {
    sim = await startOrg();
    const hourly = (await (
      await get(sim, `${V}/sobjects/EventLogFile/describe`, await tokenFor(sim))
    ).json()) as Describe;
    await sim.close();
    sim = await startOrg({ org: { hourly: false } });
    const daily = (await (
      await get(sim, `${V}/sobjects/EventLogFile/describe`, await tokenFor(sim))
    ).json()) as Describe;

    const names = (d: Describe) => d.fields.map((f) => f.name);
    expect(names(hourly)).toEqual(
      expect.arrayContaining(["Id", "EventType", "LogDate", "CreatedDate", "Interval", "Sequence"]),
    );
    expect(names(daily)).not.toContain("Interval");
    expect(names(daily)).not.toContain("Sequence");
    const eventType = hourly.fields.find((f) => f.name === "EventType")!;
    expect(eventType.picklistValues.map((p) => p.value)).toEqual(
      expect.arrayContaining(["Login", "API", "URI"]),
    );
    expect(hourly.fields.find((f) => f.name === "LogFile")).toMatchObject({
      type: "base64",
      filterable: false,
    });
  });

  it("answers INVALID_TYPE without the View Event Log Files permission", async () => {
    sim = await startOrg({ org: { event_log_file_access: false } });
    const res = await get(sim, `${V}/sobjects/EventLogFile/describe`, await tokenFor(sim));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errorCode: string }[])[0].errorCode).toBe("INVALID_TYPE");
  });
});
