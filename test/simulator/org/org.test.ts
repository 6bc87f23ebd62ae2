import { describe, expect, it } from "vitest";
import { LogFileReader } from "../../../src/csv/log-file-reader.js";
import { csvLine } from "../../../src/simulator/org/csv-body.js";
import { type EventLogFileEntry, type OrgOptions, SimulatedOrg } from "../../../src/simulator/org/index.js";

const START = new Date("2025-03-12T15:20:00Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const LICENSED = [
  "LoginAs",
  "API",
  "RestApi",
  "BulkApi",
  "Report",
  "ReportExport",
  "URI",
  "LightningPageView",
  "ContentTransfer",
  "DocumentAttachmentDownloads",
  "ApexExecution",
  "ApexCallout",
  "Sites",
];

function org(overrides: Partial<OrgOptions> = {}): SimulatedOrg {
  return new SimulatedOrg({
    seed: 11,
    start: START,
    days: 2,
    hourly: true,
    retentionDays: 30,
    eventTypes: LICENSED,
    apiVersion: "64.0",
    ...overrides,
  });
}

async function download(o: SimulatedOrg, entry: EventLogFileEntry): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of o.body(entry)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function* chunksOf(body: Buffer): AsyncGenerator<Buffer> {
  // Odd-sized pieces, so records and UTF-8 characters straddle chunk boundaries.
  for (let at = 0; at < body.length; at += 65_521) yield body.subarray(at, at + 65_521);
}

async function parse(body: Buffer): Promise<{ header: string[]; rows: string[][] }> {
  const reader = new LogFileReader();
  const rows: string[][] = [];
  for await (const batch of reader.read(chunksOf(body))) {
    expect(batch.problems).toEqual([]);
    rows.push(...batch.rows.map((r) => r.values));
  }
  return { header: reader.header ?? [], rows };
}

describe("SimulatedOrg files and bodies", () => {
  const o = org();
  const files = o.files(START);

  it("publishes files of every licensed and free type", () => {
    const types = new Set(files.map((f) => f.EventType));
    for (const type of [...LICENSED, "Login", "Logout", "ApexUnexpectedException"]) {
      if (type === "ReportExport" || type === "LoginAs") continue; // rare: may have no event in two days
      expect(types, type).toContain(type);
    }
  });

  it("serves bodies whose header is LogFileFieldNames, of exactly LogFileLength bytes, identical on every download", async () => {
    const sample = files.filter((_, i) => i % 7 === 0);
    for (const entry of sample) {
      const body = await download(o, entry);
      expect(body.length, entry.Id).toBe(entry.LogFileLength);
      expect((await download(o, entry)).equals(body)).toBe(true);
      const { header, rows } = await parse(body);
      expect(header.join(",")).toBe(entry.LogFileFieldNames);
      expect(entry.LogFileFieldTypes.split(",").length).toBe(header.length);
      expect(rows.length).toBeGreaterThan(0);
      // Every value quoted, inner quotes doubled, LF line ends: re-encoding gives back the same bytes.
      const reencoded = [header, ...rows].map(csvLine).join("");
      expect(reencoded).toBe(body.toString("utf8"));
    }
  });

  it("writes values as Salesforce does", async () => {
    const rows: Record<string, string>[] = [];
    for await (const r of o.publishedRows(START)) rows.push(r.values);
    const all = rows.flatMap((r) => Object.values(r));
    expect(all.some((v) => v.includes("\n"))).toBe(true);
    expect(all.some((v) => v.includes('"'))).toBe(true);
    expect(all).toContain("");
    expect(all).toContain("Salesforce.com IP");
    for (const r of rows.slice(0, 500)) {
      expect(r.TIMESTAMP).toMatch(/^\d{14}\.\d{3}$/);
      expect(r.TIMESTAMP_DERIVED).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(r.TIMESTAMP_DERIVED.replace(/\D/g, "").slice(0, 17)).toBe(r.TIMESTAMP.replace(".", ""));
      if (r.USER_ID_DERIVED) expect(r.USER_ID_DERIVED.slice(0, 15)).toBe(r.USER_ID);
    }
    const logins = rows.filter((r) => r.EVENT_TYPE === "Login");
    const statuses = new Set(logins.map((r) => r.LOGIN_STATUS));
    expect(statuses).toContain("LOGIN_NO_ERROR");
    expect(statuses.size).toBeGreaterThan(2);
    for (const r of logins.filter((l) => l.LOGIN_TYPE === "A")) expect(r.API_VERSION).toBe("9998.0");
    const countriesByUser = new Map<string, Set<string>>();
    for (const r of logins)
      countriesByUser.set(r.USER_ID, (countriesByUser.get(r.USER_ID) ?? new Set()).add(r.COUNTRY_CODE));
    expect([...countriesByUser.values()].some((c) => c.size > 1)).toBe(true);
  });

  it("ties session rows to their login: shared LOGIN_KEY and SESSION_KEY, same user", async () => {
    const loginUser = new Map<string, string>();
    const sessionOf = new Map<string, string>();
    const activity: Record<string, string>[] = [];
    for await (const { values: r } of o.publishedRows(START)) {
      if (r.EVENT_TYPE === "Login" && r.LOGIN_KEY !== "") loginUser.set(r.LOGIN_KEY, r.USER_ID);
      else if (r.LOGIN_KEY) activity.push(r);
    }
    let matched = 0;
    for (const r of activity) {
      const previous = sessionOf.get(r.LOGIN_KEY);
      if (previous !== undefined) expect(r.SESSION_KEY).toBe(previous);
      sessionOf.set(r.LOGIN_KEY, r.SESSION_KEY);
      const user = loginUser.get(r.LOGIN_KEY);
      if (user !== undefined) {
        matched++;
        expect(user).toBe(r.USER_ID);
      }
    }
    expect(matched).toBeGreaterThan(activity.length / 2);
  });

  it("is deterministic from the seed", async () => {
    const again = org().files(START);
    expect(again).toEqual(files);
    const entry = files[files.length - 1];
    expect((await download(org(), entry)).equals(await download(o, entry))).toBe(true);
    expect(org({ seed: 12 }).files(START)).not.toEqual(files);
  });
});

describe("SimulatedOrg timeline", () => {
  const o = org({ days: 6 });
  const later = new Date(START.getTime() + 4 * DAY);
  const files = o.files(later);

  it("publishes hourly files hours after their hour, mostly within 1 to 6 hours", () => {
    const first = files.filter((f) => f.Interval === "Hourly" && f.Sequence === 1);
    const lags = first.map((f) => (f.CreatedDate - f.LogDate - HOUR) / HOUR);
    expect(Math.min(...lags)).toBeGreaterThanOrEqual(1);
    expect(lags.filter((l) => l <= 6.1).length / lags.length).toBeGreaterThan(0.7);
    expect(Math.max(...lags)).toBeGreaterThan(6.1);
  });

  it("sends late rows of an hour in a new file with the next Sequence, holding only new rows or a few repeats", async () => {
    const late = files.filter((f) => f.Sequence >= 2);
    expect(late.length).toBeGreaterThan(0);
    let repeats = 0;
    for (const entry of late.slice(0, 12)) {
      const earlier = files.filter(
        (f) =>
          f.EventType === entry.EventType &&
          f.LogDate === entry.LogDate &&
          f.Interval === "Hourly" &&
          f.Sequence < entry.Sequence,
      );
      expect(earlier.length).toBe(entry.Sequence - 1);
      expect(Math.max(...earlier.map((f) => f.CreatedDate))).toBeLessThan(entry.CreatedDate);
      const seen = new Set<string>();
      for (const f of earlier)
        for (const row of (await parse(await download(o, f))).rows) seen.add(row.join("\u0000"));
      const rows = (await parse(await download(o, entry))).rows.map((r) => r.join("\u0000"));
      const repeated = rows.filter((r) => seen.has(r)).length;
      expect(repeated).toBeLessThan(rows.length);
      repeats += repeated;
    }
    // Repeats are occasional, but this seed has some among the first late files.
    expect(repeats).toBeGreaterThan(0);
  });

  it("replaces a re-delivered daily file: new Id, new CreatedDate, every row, the old one gone", async () => {
    const all = new Map<string, EventLogFileEntry>();
    for (let t = START.getTime() - 2 * DAY; t <= later.getTime(); t += HOUR) {
      for (const f of o.files(new Date(t))) if (f.Interval === "Daily") all.set(f.Id, f);
    }
    const byDay = new Map<string, EventLogFileEntry[]>();
    for (const f of all.values())
      byDay.set(`${f.EventType}/${f.LogDate}`, [...(byDay.get(`${f.EventType}/${f.LogDate}`) ?? []), f]);
    const replaced = [...byDay.values()].filter((list) => list.length > 1);
    expect(replaced.length).toBeGreaterThan(0);
    const [original, replacement] = replaced[0].sort((a, b) => a.CreatedDate - b.CreatedDate);
    expect(original.Sequence).toBe(0);
    expect(replacement.Sequence).toBe(0);
    expect(replacement.CreatedDate).toBeGreaterThan(original.CreatedDate);
    expect(replacement.CreatedDate).toBeGreaterThan(original.LogDate + DAY);
    const atReplacement = new Date(replacement.CreatedDate);
    const before = new Date(replacement.CreatedDate - 1000);
    expect(o.file(original.Id, before)).toEqual(original);
    expect(o.file(replacement.Id, before)).toBeUndefined();
    expect(o.file(original.Id, atReplacement)).toBeUndefined();
    expect(o.file(replacement.Id, atReplacement)).toEqual(replacement);
    const originalRows = (await parse(await download(o, original))).rows.map((r) => r.join("\u0000"));
    const newRows = new Set((await parse(await download(o, replacement))).rows.map((r) => r.join("\u0000")));
    for (const row of originalRows) expect(newRows.has(row)).toBe(true);
  });

  it("gives CreatedDate second precision and often the same second to several files", () => {
    for (const f of files) expect(f.CreatedDate % 1000).toBe(0);
    const perSecond = new Map<number, number>();
    for (const f of files) perSecond.set(f.CreatedDate, (perSecond.get(f.CreatedDate) ?? 0) + 1);
    expect([...perSecond.values()].filter((n) => n > 1).length).toBeGreaterThan(10);
    expect(new Set(files.map((f) => f.Id)).size).toBe(files.length);
  });

  it("ages files out retentionDays after their CreatedDate", () => {
    const short = org({ retentionDays: 1 });
    const entry = short.files(START)[0];
    expect(short.file(entry.Id, new Date(entry.CreatedDate + DAY - 1000))).toEqual(entry);
    expect(short.file(entry.Id, new Date(entry.CreatedDate + DAY))).toBeUndefined();
    expect(short.files(START).every((f) => START.getTime() - f.CreatedDate < DAY)).toBe(true);
  });

  it("has only daily files when hourly Event Monitoring is off, and only free types without a license", () => {
    const dailyOnly = org({ hourly: false });
    expect(dailyOnly.files(START).every((f) => f.Interval === "Daily" && f.Sequence === 0)).toBe(true);
    const unlicensed = org({ eventTypes: [] });
    const types = new Set(unlicensed.files(START).map((f) => f.EventType));
    expect([...types].sort()).toEqual(expect.arrayContaining(["Login", "Logout"]));
    expect(types.has("URI")).toBe(false);
  });

  it("counts in its ground truth every row of every published file, replaced ones included", async () => {
    const now = later;
    const perFile = new Map<string, number>();
    for await (const r of o.publishedRows(now))
      perFile.set(r.fileId, Math.max(perFile.get(r.fileId) ?? 0, r.row));
    const visible = o.files(now);
    for (const f of visible.slice(0, 40)) {
      expect(perFile.get(f.Id), f.Id).toBe((await parse(await download(o, f))).rows.length);
    }
    expect(perFile.size).toBeGreaterThan(visible.length);
  });
});

describe("SimulatedOrg declared-size files", () => {
  it("streams a file of exactly the declared size whose rows are the ground truth", async () => {
    const bytes = 3_000_017;
    const o = org({ days: 1, largeFiles: [{ eventType: "URI", bytes }] });
    const entry = o.files(START).find((f) => f.LogFileLength === bytes)!;
    expect(entry.Interval).toBe("Daily");
    const body = await download(o, entry);
    expect(body.length).toBe(bytes);
    expect((await download(o, entry)).equals(body)).toBe(true);
    const { header, rows } = await parse(body);
    expect(header.join(",")).toBe(entry.LogFileFieldNames);
    expect(new Set(rows.map((r) => r[2])).size).toBe(rows.length);
    const truth: string[][] = [];
    for await (const r of o.publishedRows(START))
      if (r.fileId === entry.Id) truth.push(Object.values(r.values));
    expect(truth).toEqual(rows);
  });

  it("fills a declared-size Logout file in an org that has no logins of its own", async () => {
    const o = org({
      days: 1,
      rowsPerHour: { Login: 0 },
      largeFiles: [{ eventType: "Logout", bytes: 200_000 }],
    });
    const entry = o.files(START).find((f) => f.EventType === "Logout")!;
    const { header, rows } = await parse(await download(o, entry));
    expect(rows.length).toBeGreaterThan(100);
    const user = header.indexOf("USER_ID");
    expect(rows.every((r) => r[user] !== "")).toBe(true);
  });

  it("refuses a declared size too small for a header and a row", () => {
    expect(() => org({ largeFiles: [{ eventType: "URI", bytes: 100, interval: "Hourly" }] })).toThrow(
      /at least/,
    );
  });

  it("names the event types it can generate when asked for another", () => {
    expect(() => org({ eventTypes: ["Nope"] })).toThrow(/cannot generate "Nope".*URI/);
  });
});
