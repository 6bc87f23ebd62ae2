import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../../src/simulator/server/index.js";
import { get, query, rawGet, startOrg, tokenFor, V } from "./helpers.js";

interface FileRecord {
  Id: string;
  EventType: string;
  LogFile: string;
  LogFileLength: number;
  LogFileFieldNames: string;
  CreatedDate: string;
}

const FIELDS = "Id, EventType, LogFile, LogFileLength, LogFileFieldNames, CreatedDate";

describe("GET .../sobjects/EventLogFile/{Id}/LogFile", () => {
  let sim: Simulator;
  afterEach(() => sim.close());

  async function firstLoginFile(token: string): Promise<FileRecord> {
    const page = await query<FileRecord>(
      sim,
      token,
      `SELECT ${FIELDS} FROM EventLogFile WHERE EventType = 'Login' ORDER BY CreatedDate LIMIT 1`,
    );
    return page.records[0];
  }

  it("streams the CSV: LogFileLength bytes, its header matching LogFileFieldNames, the same on every call", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    const file = await firstLoginFile(token);
    const headers = { authorization: `Bearer ${token}` };
    const first = await rawGet(`${sim.url}${file.LogFile}`, headers);
    expect(first.status).toBe(200);
    expect(first.headers["content-type"]).toBe("application/octetstream");
    expect(first.headers["sforce-limit-info"]).toMatch(/^api-usage=\d+\/15000$/);
    expect(first.headers["content-encoding"]).toBeUndefined();
    expect(first.body.length).toBe(file.LogFileLength);
    const header = first.body.toString("utf8").split("\n")[0];
    expect(header).toBe(
      file.LogFileFieldNames.split(",")
        .map((n) => `"${n}"`)
        .join(","),
    );
    const second = await rawGet(`${sim.url}${file.LogFile}`, headers);
    expect(second.body.equals(first.body)).toBe(true);
  });

  it("compresses with gzip when the client accepts it", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    const file = await firstLoginFile(token);
    const plain = await rawGet(`${sim.url}${file.LogFile}`, { authorization: `Bearer ${token}` });
    const gzipped = await rawGet(`${sim.url}${file.LogFile}`, {
      authorization: `Bearer ${token}`,
      "accept-encoding": "gzip, deflate",
    });
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect(gzipped.body.length).toBeLessThan(plain.body.length);
    expect(gunzipSync(gzipped.body).equals(plain.body)).toBe(true);
    const refused = await rawGet(`${sim.url}${file.LogFile}`, {
      authorization: `Bearer ${token}`,
      "accept-encoding": "gzip;q=0",
    });
    expect(refused.headers["content-encoding"]).toBeUndefined();
  });

  it("finds a file by its 15-character Id too, and serves its record", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    const file = await firstLoginFile(token);
    const short = await rawGet(`${sim.url}${V}/sobjects/EventLogFile/${file.Id.slice(0, 15)}/LogFile`, {
      authorization: `Bearer ${token}`,
    });
    expect(short.body.length).toBe(file.LogFileLength);
    const record = (await (
      await get(sim, `${V}/sobjects/EventLogFile/${file.Id}`, token)
    ).json()) as FileRecord;
    expect(record).toMatchObject({ Id: file.Id, EventType: "Login", LogFileLength: file.LogFileLength });
  });

  it("answers 404 NOT_FOUND for an unknown Id and once the file has aged out of retention", async () => {
    sim = await startOrg({ org: { retention_days: 1 } });
    const token = await tokenFor(sim);
    const file = await firstLoginFile(token);
    const unknown = await get(sim, `${V}/sobjects/EventLogFile/0AT000000000000AAA/LogFile`, token);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual([
      { message: "The requested resource does not exist", errorCode: "NOT_FOUND" },
    ]);

    sim.clock.set(new Date(Date.parse(file.CreatedDate.replace("+0000", "Z")) + 86_400_000));
    const fresh = await tokenFor(sim);
    const aged = await get(sim, file.LogFile, fresh);
    expect(aged.status).toBe(404);
    const listed = await query<FileRecord>(sim, fresh, `SELECT Id FROM EventLogFile WHERE Id = '${file.Id}'`);
    expect(listed.totalSize).toBe(0);
  });

  it("streams a declared multi-megabyte file in full", async () => {
    const bytes = 8_000_000;
    sim = await startOrg({ org: { large_files: [{ event_type: "URI", bytes, interval: "Daily" }] } });
    const token = await tokenFor(sim);
    const page = await query<FileRecord>(
      sim,
      token,
      `SELECT ${FIELDS} FROM EventLogFile WHERE LogFileLength = ${bytes}`,
    );
    expect(page.totalSize).toBe(1);
    const url = `${sim.url}${page.records[0].LogFile}`;
    const res = await rawGet(url, { authorization: `Bearer ${token}` });
    expect(res.body.length).toBe(bytes);
    // Uncompressed, the simulator fills its chunk buffers again once they are written: a client
    // that reads slowly (the socket full, writes waiting) still gets the bytes the gzip body holds.
    const slow = (await rawGet(url, { authorization: `Bearer ${token}` }, { pauseEvery: 1024 * 1024 })).body;
    const gzipped = await rawGet(url, { authorization: `Bearer ${token}`, "accept-encoding": "gzip" });
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect(slow.equals(gunzipSync(gzipped.body))).toBe(true);
    expect(slow.equals(res.body)).toBe(true);
  });
});
