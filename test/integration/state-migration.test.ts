import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/simulator/server/index.js";
import { collectorEnv, logLines, type Org } from "../faults/support.js";
import {
  expectedCounts,
  groundTruth,
  moveClock,
  readNdjson,
  runCli,
  soql,
  tally,
  tempDir,
  writeConfig,
} from "./harness.js";

const EVENT_TYPES = ["Login", "URI", "ApiTotalUsage"];
const FIXTURE = new URL("../state/fixtures/state-0.1.sql", import.meta.url);

/**
 * A state file written by sfevents 0.1 (test/state/fixtures/state-0.1.sql, from the same simulated
 * org) is upgraded in place on first start: the next run sends nothing of what 0.1 delivered, and a
 * later run delivers exactly what is new, the 0.1 row fingerprints (MD5's, where sfevents now
 * stores SHA-256's) still keeping repeated rows out.
 */
describe("a state file written by sfevents 0.1", () => {
  let org: Org;
  let dir: ReturnType<typeof tempDir>;
  let config: string;
  const out = () => readNdjson(join(dir.path, "out.ndjson"));

  beforeAll(async () => {
    dir = tempDir("state-migration");
    org = await startSimulator({
      seed: 21,
      days: 1,
      start: "2026-11-20T15:00:00Z",
      clock: { running: false },
    });
    const db = new Database(join(dir.path, "state.sqlite"));
    db.exec(readFileSync(FIXTURE, "utf8"));
    db.close();
    config = writeConfig(dir.path, {
      salesforce: { url: org.url, client_id: org.clientId, client_secret: "${SF_SECRET}" },
      event_log_files: { interval: "hourly", start: "2000-01-01T00:00:00Z", event_types: EVENT_TYPES },
      outputs: { file: { path: join(dir.path, "out.ndjson") } },
      state: { path: join(dir.path, "state.sqlite") },
      dead_letters: { path: join(dir.path, "dead-letters.ndjson") },
    });
  });
  afterAll(async () => {
    await org?.close();
    dir?.remove();
  });

  /** The rows a collector must deliver for these files, each row once per scope. */
  async function expectedFor(ids: Set<string>): Promise<Map<string, number>> {
    return expectedCounts(
      (await groundTruth(org.url)).filter((r) => ids.has(r.fileId)),
      "Hourly",
    );
  }
  const listed = async () =>
    new Set(
      (
        await soql<{ Id: string }>(
          org,
          `SELECT Id FROM EventLogFile WHERE Interval = 'Hourly' AND EventType IN (${EVENT_TYPES.map((t) => `'${t}'`).join(", ")})`,
        )
      ).map((f) => f.Id),
    );

  it("is upgraded with a message, and the next run sends nothing 0.1 delivered", async () => {
    const result = await runCli(["collect", "--once", "--config", config], collectorEnv(org));
    expect(result.code, result.stderr.slice(-1500)).toBe(0);
    expect(logLines(result.stderr).some((l) => /upgraded from schema version 3/.test(l.msg))).toBe(true);
    expect(out()).toEqual([]);
  });

  it("then delivers exactly what is new, no row of a 0.1 file twice", async () => {
    const before = await listed();
    expect(before.size).toBe(113);
    await moveClock(org.url, { advance: "3h" });
    const result = await runCli(["collect", "--once", "--config", config], collectorEnv(org));
    expect(result.code, result.stderr.slice(-1500)).toBe(0);

    const all = await expectedFor(await listed());
    const old = await expectedFor(before);
    const expected = new Map<string, number>();
    for (const [json, n] of all) if (n > (old.get(json) ?? 0)) expected.set(json, n - (old.get(json) ?? 0));
    expect(expected.size).toBeGreaterThan(0);
    expect(tally(out())).toEqual(expected);
  });
});
