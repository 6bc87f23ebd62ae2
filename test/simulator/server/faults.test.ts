import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../../src/simulator/server/index.js";
import { get, query, queryPath, rawGet, requestToken, startOrg, tokenFor, V } from "./helpers.js";

async function addFault(sim: Simulator, fault: unknown) {
  return fetch(`${sim.url}/__sim/faults`, { method: "POST", body: JSON.stringify(fault) });
}

interface FileRecord {
  Id: string;
  LogFile: string;
  LogFileLength: number;
}

describe("faults", () => {
  let sim: Simulator;
  afterEach(() => sim.close());

  it("fail the nth matching request, count times, then let requests through", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    expect((await addFault(sim, { type: "session-expired", route: "limits", nth: 2, count: 2 })).status).toBe(
      201,
    );
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(sim, `${V}/limits`, token)).status);
    expect(statuses).toEqual([200, 401, 401, 200, 200]);
    // Requests to other routes do not count towards a fault on limits.
    const listed = (await (await fetch(`${sim.url}/__sim/faults`)).json()) as {
      seen: number;
      fired: number;
    }[];
    expect(listed).toEqual([expect.objectContaining({ type: "session-expired", seen: 5, fired: 2 })]);
  });

  it("answer each status fault in Salesforce's shape", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    const cases = [
      { status: 401, type: "session-expired", errorCode: "INVALID_SESSION_ID" },
      { status: 403, type: "request-limit", errorCode: "REQUEST_LIMIT_EXCEEDED" },
      { status: 500, type: "query-timeout", errorCode: "QUERY_TIMEOUT" },
    ];
    for (const c of cases) {
      await addFault(sim, { type: c.type, route: "query" });
      const res = await get(sim, queryPath("SELECT Id FROM EventLogFile LIMIT 1"), token);
      expect(res.status).toBe(c.status);
      expect(res.headers.get("sforce-limit-info")).toMatch(/^api-usage=/);
      expect(((await res.json()) as { errorCode: string }[])[0].errorCode).toBe(c.errorCode);
    }
    for (const status of [420, 503]) {
      await addFault(sim, { status, route: "describe" });
      const res = await get(sim, `${V}/sobjects/EventLogFile/describe`, token);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await res.text()).toMatch(/^<(!DOCTYPE )?html/);
    }
  });

  it("answer the token endpoint in its own error shape", async () => {
    sim = await startOrg();
    await addFault(sim, { type: "query-timeout", route: "token" });
    const res = await requestToken(sim);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: "unknown_error", error_description: "retry your request" });
    expect(await tokenFor(sim)).toMatch(/!/);
  });

  it("match downloads by event type", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    const pick = async (type: string) =>
      (
        await query<FileRecord>(
          sim,
          token,
          `SELECT Id, LogFile FROM EventLogFile WHERE EventType = '${type}' LIMIT 1`,
        )
      ).records[0];
    const login = await pick("Login");
    const uri = await pick("URI");
    await addFault(sim, { type: "server-unavailable", route: "download", event_type: "URI" });
    expect((await get(sim, login.LogFile, token)).status).toBe(200);
    expect((await get(sim, uri.LogFile, token)).status).toBe(503);
    expect((await get(sim, uri.LogFile, token)).status).toBe(200);
  });

  it("reset the connection in the middle of a body", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    const [file] = (
      await query<FileRecord>(
        sim,
        token,
        "SELECT Id, LogFile, LogFileLength FROM EventLogFile WHERE LogFileLength > 20000 LIMIT 1",
      )
    ).records;
    await addFault(sim, { type: "connection-reset", route: "download", file_id: file.Id, after_bytes: 5000 });
    const broken = await rawGet(`${sim.url}${file.LogFile}`, { authorization: `Bearer ${token}` }).catch(
      (err: NodeJS.ErrnoException) => ({ error: err, body: Buffer.alloc(0), status: 0 }),
    );
    expect(broken.error).toBeDefined();
    expect(broken.body.length).toBeLessThan(file.LogFileLength);
    const whole = await rawGet(`${sim.url}${file.LogFile}`, { authorization: `Bearer ${token}` });
    expect(whole.body.length).toBe(file.LogFileLength);
  });

  it("truncate a gzip stream: the body ends cleanly but cannot be decompressed", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    const [file] = (
      await query<FileRecord>(
        sim,
        token,
        "SELECT Id, LogFile, LogFileLength FROM EventLogFile WHERE LogFileLength > 20000 LIMIT 1",
      )
    ).records;
    await addFault(sim, { type: "truncated-gzip", route: "download", after_bytes: 2000 });
    const headers = { authorization: `Bearer ${token}`, "accept-encoding": "gzip" };
    const cut = await rawGet(`${sim.url}${file.LogFile}`, headers);
    expect(cut.status).toBe(200);
    expect(cut.error).toBeUndefined();
    expect(cut.body.length).toBe(2000);
    expect(() => gunzipSync(cut.body)).toThrow(/unexpected end of file/);
    const whole = await rawGet(`${sim.url}${file.LogFile}`, headers);
    expect(gunzipSync(whole.body).length).toBe(file.LogFileLength);
  });

  it("slow a body down without changing it", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    const [file] = (
      await query<FileRecord>(
        sim,
        token,
        "SELECT Id, LogFile, LogFileLength FROM EventLogFile WHERE LogFileLength < 3000 LIMIT 1",
      )
    ).records;
    const headers = { authorization: `Bearer ${token}` };
    const normal = await rawGet(`${sim.url}${file.LogFile}`, headers);
    await addFault(sim, { type: "slow-body", route: "download", bytes_per_second: 20_000 });
    const slow = await rawGet(`${sim.url}${file.LogFile}`, headers);
    expect(slow.body.equals(normal.body)).toBe(true);
    const [fault] = (await (await fetch(`${sim.url}/__sim/faults`)).json()) as { fired: number }[];
    expect(fault.fired).toBe(1);
  });

  it("come from the scenario, and the admin route lists, refuses bad ones and clears them", async () => {
    sim = await startOrg({ faults: [{ status: 500, route: "limits" }] });
    const token = await tokenFor(sim);
    expect((await get(sim, `${V}/limits`, token)).status).toBe(500);

    const bad = await addFault(sim, { type: "meteor-strike" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/type/);
    await addFault(sim, [{ status: 503 }, { status: 420 }]);
    expect(((await (await fetch(`${sim.url}/__sim/faults`)).json()) as unknown[]).length).toBe(3);
    expect((await fetch(`${sim.url}/__sim/faults`, { method: "DELETE" })).status).toBe(204);
    expect(await (await fetch(`${sim.url}/__sim/faults`)).json()).toEqual([]);
    expect((await get(sim, `${V}/limits`, token)).status).toBe(200);
  });
});
