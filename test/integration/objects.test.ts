import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/simulator/server/index.js";
import { waitFor } from "../faults/support.js";
import { readableObjectRows, tallyObjects } from "../support/objects.js";
import {
  addFault,
  faultsFired,
  moveClock,
  readNdjson,
  runCli,
  startCli,
  tempDir,
  writeConfig,
} from "./harness.js";

type Org = Awaited<ReturnType<typeof startSimulator>>;

/** Objects of each storage: big (EventDate, DESC only), Threat Detection (CreatedDate), audit, login history. */
const TYPES = ["LoginEvent", "ApiEvent", "SessionHijackingEventStore", "SetupAuditTrail", "LoginHistory"];
const START = "2026-11-20T00:00:00.000Z";
const LAG_MS = 60_000;

/**
 * A day of an org whose clock is frozen until a test moves it, with rows stored late (up to 40
 * minutes after their timestamp, inside the 1h overlap), ties to the millisecond, and small pages so
 * every window paginates.
 */
const SCENARIO = {
  seed: 11,
  days: 1,
  start: "2026-11-20T12:00:00Z",
  clock: { running: false },
  query: { max_page_size: 200 },
  api: { daily_limit: 1_000_000 },
  objects: {
    rows_per_hour: {
      LoginEvent: 120,
      ApiEvent: 300,
      SessionHijackingEventStore: 6,
      SetupAuditTrail: 10,
      LoginHistory: 120,
    },
    late_share: 0.1,
    late_delay: "40m",
    tie_share: 0.2,
  },
};

/** Every row the org shows now whose timestamp the windows have reached: after `start`, up to now minus the lag. */
const readable = (org: Org, now: Date) => readableObjectRows(org.url, TYPES, START, now, LAG_MS);

describe("sfevents collect of Salesforce objects against the simulated org", () => {
  let org: Org;
  let dir: ReturnType<typeof tempDir>;
  let outFile: string;
  let now: Date;

  const config = () =>
    writeConfig(dir.path, {
      salesforce: { url: org.url, client_id: org.clientId, client_secret: "${SF_SECRET}" },
      objects: { types: TYPES, start: START, lag: "1m", overlap: "1h", window: "2h", poll_every: "1s" },
      outputs: { file: { path: outFile } },
      state: { path: join(dir.path, "state.sqlite") },
      dead_letters: { path: join(dir.path, "dead-letters.ndjson") },
    });
  const env = () => ({ SF_SECRET: org.clientSecret });
  const delivered = () =>
    tallyObjects(readNdjson(outFile).map((l) => JSON.parse(l) as Record<string, unknown>));
  const advance = async (by: string, ms: number) => {
    await moveClock(org.url, { advance: by });
    now = new Date(now.getTime() + ms);
  };

  beforeEach(async () => {
    dir = tempDir("objects");
    outFile = join(dir.path, "out", "events.ndjson");
    org = await startSimulator(SCENARIO);
    now = new Date(SCENARIO.start);
  });
  afterEach(async () => {
    await org?.close();
    dir.remove();
  });

  it("delivers every row exactly once across polls while the org's clock moves, late rows and ties included", async () => {
    const path = config();
    for (let poll = 0; poll < 4; poll++) {
      const run = await runCli(["collect", "--once", "--config", path], env());
      expect(run.stderr).not.toContain('"level":"error"');
      expect(run.code).toBe(0);
      const got = delivered();
      // Nothing twice, ever; everything the windows have reached, once the late rows have been stored.
      expect([...got.values()].filter((n) => n > 1)).toEqual([]);
      const expected = await readable(org, now);
      expect([...expected.keys()].filter((k) => !got.has(k))).toEqual([]);
      expect([...got.keys()].filter((k) => !expected.has(k))).toEqual([]);
      await advance("50m", 50 * 60_000);
    }
    const objects = new Set([...delivered().keys()].map((k) => k.split(" ")[0]));
    expect([...objects].sort()).toEqual([...TYPES].sort());
    // Each record went out as Salesforce returned it, without attributes, naming its object.
    const first = JSON.parse(readNdjson(outFile)[0]) as Record<string, unknown>;
    expect(first.attributes).toBeUndefined();
    expect(TYPES).toContain(first.sobject);
  });

  it("reads a window again after a 401 in the middle of its pages and a 503, losing and repeating nothing", async () => {
    await addFault(org.url, { type: "session-expired", route: "queryMore", object: "ApiEvent", nth: 2 });
    await addFault(org.url, { status: 503, route: "query", object: "LoginEvent" });
    const run = await runCli(["collect", "--once", "--config", config()], env());
    expect(run.code).toBe(0);
    // Both faults were met: the 401 in ApiEvent's pages (its windows take several), the 503 on LoginEvent's query.
    expect(await faultsFired(org.url)).toEqual([1, 1]);
    const got = delivered();
    const expected = await readable(org, now);
    expect([...got.values()].filter((n) => n > 1)).toEqual([]);
    expect(new Set(got.keys())).toEqual(new Set(expected.keys()));
  });

  it("loses nothing to a kill -9 during delivery: the restart resumes at the first window not committed", async () => {
    const path = config();
    const { child, done } = startCli(["collect", "--config", path], env());
    // Killed once some windows were written, before the first poll could finish them all.
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (readNdjson(outFile).length > 500) {
          clearInterval(check);
          resolve();
        }
      }, 20);
    });
    child.kill("SIGKILL");
    await done;
    const rerun = await runCli(["collect", "--once", "--config", path], env());
    expect(rerun.code).toBe(0);
    const got = delivered();
    const expected = await readable(org, now);
    expect([...expected.keys()].filter((k) => !got.has(k))).toEqual([]);
    expect([...got.keys()].filter((k) => !expected.has(k))).toEqual([]);
  });

  it("collects an object again from an instant after `state rewind`, and only from then", async () => {
    const path = config();
    expect((await runCli(["collect", "--once", "--config", path], env())).code).toBe(0);
    const to = "2026-11-20T10:00:00Z";
    const args = ["state", "rewind", "--config", path, "--source", "objects:LoginEvent", "--to", to, "--yes"];
    const rewound = await runCli(args);
    expect(rewound.code, rewound.stderr).toBe(0);
    expect(rewound.stdout).toContain("objects:LoginEvent: forget 2 delivered windows positioned at or after");
    expect((await runCli(["collect", "--once", "--config", path], env())).code).toBe(0);
    const records = readNdjson(outFile).map((l) => JSON.parse(l) as Record<string, unknown>);
    const twice = [...tallyObjects(records)].filter(([, n]) => n === 2).map(([key]) => key);
    // The window from 10:00 and the overlap before it are read again; nothing before the overlap.
    const again = records.filter((r) => twice.includes(`LoginEvent ${String(r.EventIdentifier)}`));
    expect(twice.length).toBeGreaterThan(0);
    expect(twice.every((key) => key.startsWith("LoginEvent "))).toBe(true);
    expect(again.every((r) => Date.parse(String(r.EventDate)) > Date.parse(to) - 3_600_000)).toBe(true);
  });

  it("polls each source on its own schedule, side by side, and stops them all on SIGTERM", async () => {
    const path = writeConfig(dir.path, {
      salesforce: { url: org.url, client_id: org.clientId, client_secret: "${SF_SECRET}" },
      event_log_files: { interval: "hourly", event_types: ["Login"], lookback: "6h", poll_every: "1h" },
      objects: { types: ["SetupAuditTrail"], start: START, poll_every: "1s" },
      outputs: { file: { path: outFile } },
      state: { path: join(dir.path, "state.sqlite") },
      dead_letters: { path: join(dir.path, "dead-letters.ndjson") },
    });
    const { child, done } = startCli(["collect", "--config", path], env());
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += String(d);
    });
    const cycles = (unit: string) => (stderr.match(new RegExp(`cycle done: \\d+ ${unit}`, "g")) ?? []).length;
    await waitFor(() => cycles("SetupAuditTrail window") >= 3, 30_000, "three polls of the objects");
    // The files' next poll is an hour away: the objects do not wait for it.
    expect(cycles("hourly Event Log File")).toBe(1);
    child.kill("SIGTERM");
    const result = await done;
    expect(result.code).toBe(0);
  });
});

describe("sfevents collect of a big object whose answers come without nextRecordsUrl", () => {
  let org: Org;
  let dir: ReturnType<typeof tempDir>;

  beforeEach(() => {
    dir = tempDir("objects-truncated");
  });
  afterEach(async () => {
    await org?.close();
    dir.remove();
  });

  const collect = async (burst: { rows: number; span: string }) => {
    // Every big-object answer is one page of at most 200 records, done, its totalSize counting all.
    org = await startSimulator({
      ...SCENARIO,
      query: { max_page_size: 200, big_object_locators: false },
      objects: {
        rows_per_hour: { ApiEvent: 0 },
        bursts: [{ object: "ApiEvent", at: "2026-11-20T10:20:00Z", ...burst }],
      },
    });
    const outFile = join(dir.path, "out", "events.ndjson");
    const path = writeConfig(dir.path, {
      salesforce: { url: org.url, client_id: org.clientId, client_secret: "${SF_SECRET}" },
      objects: { types: ["ApiEvent"], start: "2026-11-20T10:00:00Z", window: "1h" },
      outputs: { file: { path: outFile } },
      state: { path: join(dir.path, "state.sqlite") },
      dead_letters: { path: join(dir.path, "dead-letters.ndjson") },
    });
    const run = await runCli(["collect", "--once", "--config", path], { SF_SECRET: org.clientSecret });
    return {
      run,
      got: tallyObjects(readNdjson(outFile).map((l) => JSON.parse(l) as Record<string, unknown>)),
    };
  };

  it("halves a window whose answer holds fewer records than its totalSize, until every row is read once", async () => {
    // 3,000 rows in ten minutes: a window's first answer carries 200 of them, a second's a handful.
    const { run, got } = await collect({ rows: 3_000, span: "10m" });
    expect(run.code, run.stderr).toBe(0);
    const all = await readable(org, new Date(SCENARIO.start));
    const expected = new Map([...all].filter(([key]) => key.startsWith("ApiEvent ")));
    expect(expected.size).toBe(3_000);
    expect([...got.values()].filter((n) => n > 1)).toEqual([]);
    expect(got.size).toBe(3_000);
    expect(new Set(got.keys())).toEqual(new Set(expected.keys()));
    expect(run.stderr).toContain("reading each half of the window apart");
  });

  it("leaves a second holding more rows than one answer undelivered, saying so, rather than losing its rows", async () => {
    // 500 rows in one millisecond: no window bounded by whole seconds can take them in 200.
    const { run, got } = await collect({ rows: 500, span: "0s" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("cannot be read whole; the window is not delivered");
    expect(got.size).toBe(0);
  });
});
