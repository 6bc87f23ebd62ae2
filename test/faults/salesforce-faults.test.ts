import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FAULT_TYPES } from "../../src/simulator/scenario.js";
import { startSimulator } from "../../src/simulator/server/index.js";
import { FakeIntake } from "../support/intake.js";
import type { LogLine } from "../support/logger.js";
import {
  addFault,
  faultsFired,
  readNdjson,
  type RunResult,
  runCli,
  soql,
  tempDir,
} from "../integration/harness.js";
import {
  collectorConfig,
  collectorEnv,
  expectedRows,
  INTAKE_KEY,
  alarms,
  logLines,
  type Org,
  seededRandom,
  waitFor,
  deliveredFiles,
} from "./support.js";

async function setApiUsage(org: Org, used: number): Promise<void> {
  const res = await fetch(`${org.url}/__sim/api-usage`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ used }),
  });
  if (!res.ok) throw new Error(`/__sim/api-usage answered ${res.status}`);
}

/**
 * Case 3: every fault the simulator can inject, on its own, then several mixed at random (seeded).
 * Each run must lose nothing and finish, and log each incident once: one warning when a call starts
 * failing (not one per retry), whatever the number of retries behind it.
 */

/** A small org: two days of six event types, pages of 200 records so that queryMore is exercised. */
const EVENT_TYPES = ["Login", "Logout", "URI", "API", "RestApi", "Report"];
const ORG = {
  seed: 21,
  days: 2,
  start: "2026-11-20T15:00:00Z",
  clock: { running: false },
  query: { max_page_size: 200 },
};

interface FileRecord {
  Id: string;
  EventType: string;
  LogFileLength: number;
}

describe("Salesforce faults", () => {
  let org: Org | undefined;
  let intake: FakeIntake | undefined;
  let dir: ReturnType<typeof tempDir> | undefined;

  afterEach(async () => {
    await intake?.close();
    await org?.close();
    dir?.remove();
  });

  async function setUp() {
    org = await startSimulator(ORG);
    intake = await FakeIntake.start({ intakeKey: INTAKE_KEY });
    dir = tempDir("faults-sf");
    const outFile = join(dir.path, "out", "events.ndjson");
    const config = collectorConfig({ dir: dir.path, org, intake, outFile, eventTypes: EVENT_TYPES });
    const files = await soql<FileRecord>(
      org,
      `SELECT Id, EventType, LogFileLength FROM EventLogFile WHERE Interval = 'Hourly' AND EventType IN (${EVENT_TYPES.map((t) => `'${t}'`).join(",")}) ORDER BY LogFileLength DESC`,
    );
    const run = () => runCli(["collect", "--once", "--config", config], collectorEnv(org!));
    return { org, intake, outFile, files, run, dir: dir.path };
  }

  const alarmsOf = (run: RunResult): LogLine[] => alarms(run.stderr);

  /** Exactly once to both outputs: status faults fail before any row is read, so nothing is re-sent. */
  async function expectExactlyOnce(env: Awaited<ReturnType<typeof setUp>>) {
    const truth = await expectedRows(env.org, EVENT_TYPES);
    expect(truth.expectAllAtLeastOnce(env.intake.events)).toEqual(new Map());
    expect(truth.expectAllAtLeastOnce(readNdjson(env.outFile))).toEqual(new Map());
  }

  /** Every row at least once in both outputs, and only rows of files that `mayRepeat` more than once. */
  async function expectDuplicatesOnlyOf(
    env: Awaited<ReturnType<typeof setUp>>,
    mayRepeat: (file: string) => boolean,
  ) {
    const truth = await expectedRows(env.org, EVENT_TYPES);
    for (const delivered of [env.intake.events, readNdjson(env.outFile)]) {
      const extra = truth.expectAllAtLeastOnce(delivered);
      const unexpected = [...extra.keys()].filter(
        (json) => ![...(truth.files.get(json) ?? [])].some(mayRepeat),
      );
      expect(unexpected.slice(0, 3)).toEqual([]);
    }
  }

  const STATUS_FAULTS = ["edge-routing", "query-timeout", "server-unavailable"] as const;
  for (const type of STATUS_FAULTS) {
    it(`${type}: retried with backoff, one warning per incident, nothing lost`, async () => {
      const env = await setUp();
      const target = env.files[3];
      // Three incidents: the discovery query, a queryMore page, one file's download, each failing twice.
      await addFault(env.org.url, { type, route: "query", nth: 1, count: 2 });
      await addFault(env.org.url, { type, route: "queryMore", nth: 1, count: 2 });
      await addFault(env.org.url, { type, route: "download", file_id: target.Id, count: 2 });
      const run = await env.run();
      expect(run.code, run.stderr.slice(-1500)).toBe(0);
      expect(await faultsFired(env.org.url)).toEqual([2, 2, 2]);
      await expectExactlyOnce(env);

      const warnings = alarmsOf(run);
      expect(warnings.map((w) => w.msg)).toEqual(
        Array(3).fill("Salesforce call failed; retrying with backoff"),
      );
      expect(warnings.filter((w) => String(w.request).includes(target.Id))).toHaveLength(1);
      const recovered = logLines(run.stderr).filter((l) => l.msg === "Salesforce call recovered");
      expect(recovered).toHaveLength(3);
    });
  }

  it("session-expired: a new token, the call retried, nothing lost", async () => {
    const env = await setUp();
    const target = env.files[2];
    await addFault(env.org.url, { type: "session-expired", route: "queryMore", nth: 1 });
    await addFault(env.org.url, { type: "session-expired", route: "download", file_id: target.Id });
    const run = await env.run();
    expect(run.code, run.stderr.slice(-1500)).toBe(0);
    expect(await faultsFired(env.org.url)).toEqual([1, 1]);
    await expectExactlyOnce(env);
    const renewals = logLines(run.stderr).filter((l) => l.msg.startsWith("Salesforce session expired"));
    expect(renewals).toHaveLength(2);
    expect(alarmsOf(run)).toEqual([]);
  });

  const BODY_FAULTS = [
    { type: "connection-reset", after_bytes: 2048 },
    { type: "truncated-gzip", after_bytes: 2048 },
  ] as const;
  for (const fault of BODY_FAULTS) {
    it(`${fault.type}: the file is downloaded again; its rows may come twice, no other file's; one warning`, async () => {
      const env = await setUp();
      const target = env.files[0]; // the largest, so the break falls inside its rows
      await addFault(env.org.url, { ...fault, route: "download", file_id: target.Id, count: 2 });
      const run = await env.run();
      expect(run.code, run.stderr.slice(-1500)).toBe(0);
      expect(await faultsFired(env.org.url)).toEqual([2]);

      await expectDuplicatesOnlyOf(env, (file) => file === target.Id);
      // One incident (a download that broke twice, then succeeded): one warning about it.
      const warnings = alarmsOf(run);
      expect(warnings.filter((w) => w.fileId === target.Id)).toHaveLength(1);
      expect(warnings).toHaveLength(1);
    });
  }

  it("slow-body: a file that trickles in is waited for, nothing lost", async () => {
    const env = await setUp();
    const small = env.files.filter((f) => f.LogFileLength > 2000 && f.LogFileLength < 8000).at(-1)!;
    await addFault(env.org.url, {
      type: "slow-body",
      route: "download",
      file_id: small.Id,
      bytes_per_second: 2048,
    });
    const run = await env.run();
    expect(run.code, run.stderr.slice(-1500)).toBe(0);
    expect(await faultsFired(env.org.url)).toEqual([1]);
    await expectExactlyOnce(env);
    expect(alarmsOf(run)).toEqual([]);
  });

  /**
   * What the collector does on 403 REQUEST_LIMIT_EXCEEDED: the client waits twice (30 to 60 s each;
   * a concurrency limit clears in that time), then gives the call up, and the collector ends the
   * cycle there, with its checkpoint held: past those waits the org's allowance is spent, and every
   * other file would wait the same. The next run delivers what is left.
   */
  it("request-limit on one download: the cycle ends after the waits with one error; the next run delivers the rest", async () => {
    const env = await setUp();
    const target = env.files[1];
    await addFault(env.org.url, { type: "request-limit", route: "download", file_id: target.Id, count: 3 });
    const first = await env.run();
    expect(first.code, first.stderr.slice(-1500)).toBe(1);
    expect(await faultsFired(env.org.url)).toEqual([3]);
    const errors = alarmsOf(first).filter((l) => l.level === "error");
    expect(errors.map((e) => e.fileId)).toEqual([target.Id]);
    expect(errors[0].msg).toContain("API allowance");
    const retries = alarmsOf(first).filter((l) => l.msg === "Salesforce call failed; retrying with backoff");
    expect(retries.map((w) => String(w.request).includes(target.Id))).toEqual([true]);
    const checkpointed = deliveredFiles(join(env.dir, "state.sqlite"));
    expect(checkpointed.has(target.Id)).toBe(false);

    const second = await env.run();
    expect(second.code, second.stderr.slice(-1500)).toBe(0);
    await expectDuplicatesOnlyOf(env, (file) => !checkpointed.has(file));
  }, 300_000);

  it("the daily allowance spent in the middle of a run: one error, the run ends; once restored, nothing lost", async () => {
    const env = await setUp();
    const pending = env.run();
    await waitFor(() => env.intake.acknowledgedBatches >= 1, 30_000, "a first batch");
    await setApiUsage(env.org, 15_000);
    const first = await pending;
    expect(first.code, first.stderr.slice(-1500)).toBe(1);
    const errors = alarmsOf(first).filter((l) => l.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0].msg).toContain("API allowance");
    // One warning per call that met the limit, not one per retry: at most one per download slot.
    const retries = alarmsOf(first).filter((l) => l.msg === "Salesforce call failed; retrying with backoff");
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.length).toBeLessThanOrEqual(2);
    const checkpointed = deliveredFiles(join(env.dir, "state.sqlite"));
    expect(checkpointed.size).toBeLessThan(env.files.length);

    await setApiUsage(env.org, 0);
    const second = await env.run();
    expect(second.code, second.stderr.slice(-1500)).toBe(0);
    await expectDuplicatesOnlyOf(env, (file) => !checkpointed.has(file));
  }, 300_000);

  it("mixed at random: nothing lost, the runs finish", async () => {
    const random = seededRandom("mixed Salesforce faults");
    const env = await setUp();
    // request-limit is left out: each of its incidents costs a minute of waiting (see the case above).
    const types = FAULT_TYPES.filter((type) => type !== "request-limit");
    const faults = Array.from({ length: 8 }, () => {
      const type = types[random.int(types.length)];
      const route = ["query", "queryMore", "download", "download", "any"][random.int(5)];
      const bodyFault = type === "connection-reset" || type === "truncated-gzip" || type === "slow-body";
      return {
        type,
        route: bodyFault ? "download" : route,
        nth: 1 + random.int(20),
        count: type === "session-expired" ? 1 : 1 + random.int(2),
        after_bytes: 512 + random.int(4096),
        bytes_per_second: 16_384,
      };
    });
    console.log(JSON.stringify(faults));
    await addFault(env.org.url, faults as unknown as Record<string, unknown>);

    const runs: RunResult[] = [];
    while (runs.length < 3) {
      const run = await env.run();
      runs.push(run);
      if (run.code === 0) break;
    }
    expect(runs.at(-1)!.code, runs.at(-1)!.stderr.slice(-1500)).toBe(0);
    await fetch(`${env.org.url}/__sim/faults`, { method: "DELETE" }); // faults left armed would fail the check's query
    // Files that broke mid-body are sent again from the start: their rows may come twice; the
    // logs name every such file, and no row of any other file is duplicated.
    const named = new Set(runs.flatMap((r) => alarmsOf(r).map((l) => String(l.fileId))));
    await expectDuplicatesOnlyOf(env, (file) => named.has(file));
  });
});
