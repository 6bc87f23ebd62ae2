import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/simulator/server/index.js";
import { GroundTruth, collectorEnv, logLines, type Org } from "../faults/support.js";
import { groundTruth, moveClock, readNdjson, runCli, soql, tempDir, writeConfig } from "./harness.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * An org whose clock is days behind this host's (a simulated org started in the past, frozen): the
 * collector must take "now" from the org, for where a first run starts and for what it may forget,
 * or it finds nothing (the org is behind) or forgets too soon and sends files again.
 */
describe("an org clock far from the host's", () => {
  let org: Org;
  let dir: ReturnType<typeof tempDir>;

  async function startOrgBehind(days: number): Promise<void> {
    const start = new Date(Math.floor((Date.now() - days * DAY) / HOUR) * HOUR);
    org = await startSimulator({ seed: 3, days: 2, start: start.toISOString(), clock: { running: false } });
  }

  function config(eventLogFiles: Record<string, unknown>): string {
    return writeConfig(dir.path, {
      salesforce: { url: org.url, client_id: org.clientId, client_secret: "${SF_SECRET}" },
      event_log_files: { interval: "hourly", ...eventLogFiles },
      outputs: { file: { path: join(dir.path, "out.ndjson") } },
      state: { path: join(dir.path, "state.sqlite") },
      dead_letters: { path: join(dir.path, "dead-letters.ndjson") },
    });
  }

  /** The rows of the hourly files the org lists now, created at or after `since` when given. */
  async function expected(since?: Date): Promise<GroundTruth> {
    const where = since ? ` AND CreatedDate >= ${since.toISOString().slice(0, 19)}Z` : "";
    const files = await soql<{ Id: string }>(
      org,
      `SELECT Id FROM EventLogFile WHERE Interval = 'Hourly'${where}`,
    );
    const ids = new Set(files.map((f) => f.Id));
    return new GroundTruth((await groundTruth(org.url)).filter((r) => ids.has(r.fileId)));
  }

  const orgNow = async () =>
    new Date(((await (await fetch(`${org.url}/__sim/clock`)).json()) as { time: string }).time);

  beforeEach(() => {
    dir = tempDir("faults-clock");
  });
  afterEach(async () => {
    await org?.close();
    dir.remove();
  });

  it("starts a first run at the org's now minus lookback, and says the clocks differ", async () => {
    await startOrgBehind(4);
    const path = config({ lookback: "24h" });
    const since = new Date((await orgNow()).getTime() - DAY);

    const first = await runCli(["collect", "--once", "--config", path], collectorEnv(org));
    expect(first.code, first.stderr.slice(-1500)).toBe(0);
    const skew = logLines(first.stderr).find((l) => /clock/i.test(l.msg) && l.level === "warn");
    expect(skew?.msg, "a warning that the org's clock differs from this host's").toMatch(/org/i);

    await moveClock(org.url, { advance: "3h" });
    const second = await runCli(["collect", "--once", "--config", path], collectorEnv(org));
    expect(second.code, second.stderr.slice(-1500)).toBe(0);

    const truth = await expected(since);
    expect(truth.rows).toBeGreaterThan(0);
    const delivered = readNdjson(join(dir.path, "out.ndjson"));
    const { missing, unknown, extra } = truth.compare(delivered);
    expect(missing.length, "rows lost").toBe(0);
    expect(unknown.length, "rows from outside the lookback").toBe(0);
    expect(extra.size, "rows delivered twice").toBe(0);
  });

  it("never forgets a delivered file the overlap still lists, so nothing is sent twice", async () => {
    // Past Salesforce's 30 days of retention by the host's clock, but not by the org's.
    await startOrgBehind(40);
    const path = config({ start: "2000-01-01T00:00:00Z" });
    for (let run = 0; run < 3; run++) {
      if (run > 0) await moveClock(org.url, { advance: "1h" });
      const result = await runCli(["collect", "--once", "--config", path], collectorEnv(org));
      expect(result.code, result.stderr.slice(-1500)).toBe(0);
    }
    const truth = await expected();
    const { missing, extra } = truth.compare(readNdjson(join(dir.path, "out.ndjson")));
    expect(missing.length, "rows lost").toBe(0);
    expect(extra.size, "rows delivered twice").toBe(0);
  });
});
