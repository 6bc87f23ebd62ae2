import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/simulator/server/index.js";
import { FakeIntake } from "../support/intake.js";
import { soql, startCli, tally, tempDir } from "../integration/harness.js";
import {
  collectorConfig,
  collectorEnv,
  INTAKE_KEY,
  liveStderr,
  logLines,
  type Org,
  rssMib,
  sleep,
  waitFor,
} from "./support.js";

/** The bound the issue sets for the collector's resident memory, whatever happens downstream. */
const RSS_BOUND_MIB = 200;
/** One file whose rows, as JSON, outweigh the bound: buffering it instead of pausing its download would show. */
const LARGE_FILE_BYTES = 100_000_000;
/** Each phase of the outage outlasts the retry budget of one batch. */
const RETRY_BUDGET = "3s";
const PHASE_MS = 8_000;

/** Rows are counted by digest: holding 200 MB of rows as strings in the test would be its own fault. */
const digest = (json: string) => createHash("sha1").update(json).digest("base64");

/**
 * Ground truth of the files the collector must deliver, streamed from /__sim/rows and tallied by
 * digest; a row that a later file of its hour repeats is expected once (deduplication).
 */
async function expectedDigests(org: Org, fileIds: Set<string>): Promise<Map<string, number>> {
  const res = await fetch(`${org.url}/__sim/rows`);
  // Copies per file and digest, remembering each digest's scope (event type and hour).
  const perFile = new Map<string, { scope: string; n: number }>();
  const decoder = new TextDecoder();
  let rest = "";
  const take = (line: string) => {
    if (line.length === 0) return;
    const row = JSON.parse(line) as { fileId: string; values: Record<string, string> };
    if (!fileIds.has(row.fileId)) return;
    const key = digest(JSON.stringify(row.values));
    const scope = `${row.values.EVENT_TYPE} ${(row.values.TIMESTAMP_DERIVED ?? "").slice(0, 13)}`;
    const entry = perFile.get(`${row.fileId} ${key}`) ?? { scope, n: 0 };
    entry.n++;
    perFile.set(`${row.fileId} ${key}`, entry);
  };
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = lines.pop() ?? "";
    lines.forEach(take);
  }
  take(rest);
  const perScope = new Map<string, number>();
  for (const [fileAndKey, { scope, n }] of perFile) {
    const scoped = `${scope} ${fileAndKey.slice(fileAndKey.indexOf(" ") + 1)}`;
    perScope.set(scoped, Math.max(perScope.get(scoped) ?? 0, n));
  }
  const counts = new Map<string, number>();
  for (const [scoped, n] of perScope) {
    const key = scoped.slice(scoped.lastIndexOf(" ") + 1);
    counts.set(key, (counts.get(key) ?? 0) + n);
  }
  return counts;
}

/**
 * Case 2: the intake fails for longer than one batch's retry budget, three ways in a row: 503s, then
 * nothing listening on its port (connection refused), then answers slower than the collector sends.
 * The org holds a 100 MB file (about 210 MB of JSON events). The collector polls throughout. Nothing may be lost, its memory must
 * stay under 200 MB (it pauses the download rather than buffering the file), and delivery must
 * resume when the intake is back.
 */
describe("an intake outage longer than the retry budget", () => {
  let org: Org;
  let dir: ReturnType<typeof tempDir>;
  const intakes: FakeIntake[] = [];

  beforeAll(async () => {
    dir = tempDir("faults-outage");
    org = await startSimulator({
      seed: 3,
      days: 1,
      start: "2026-11-20T15:00:00Z",
      clock: { running: false },
      org: {
        event_types: ["URI"],
        large_files: [{ event_type: "URI", bytes: LARGE_FILE_BYTES, interval: "Hourly" }],
      },
    });
  });
  afterAll(async () => {
    for (const intake of intakes) await intake.close().catch(() => {});
    await org?.close();
    dir?.remove();
  });

  it("loses nothing, stays under 200 MB, resumes when the intake is back", async () => {
    const files = await soql<{ Id: string }>(org, "SELECT Id FROM EventLogFile WHERE Interval = 'Hourly'");
    const expected = await expectedDigests(org, new Set(files.map((f) => f.Id)));
    const received = new Map<string, number>();
    const onBatch = (events: string[]) => {
      for (const json of events) {
        const key = digest(json);
        received.set(key, (received.get(key) ?? 0) + 1);
      }
    };
    const missing = () => [...expected].filter(([key, n]) => (received.get(key) ?? 0) < n).length;

    let intake = await FakeIntake.start({ intakeKey: INTAKE_KEY, onBatch, keepEvents: false });
    intakes.push(intake);
    const port = Number(new URL(intake.url).port);
    const config = collectorConfig({
      dir: dir.path,
      org,
      intake,
      pollEvery: "2s",
      retryBudget: RETRY_BUDGET,
    });
    const { child, done } = startCli(["collect", "--config", config], collectorEnv(org));
    const stderr = liveStderr(child);

    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMib(child.pid!) ?? 0);
    }, 100);
    try {
      await waitFor(() => intake.acknowledgedBatches >= 3, 60_000, "the first batches");

      // 1. 503 for every batch.
      intake.fallback = 503;
      await sleep(PHASE_MS);
      // 2. Nothing listening: connections are refused.
      await intake.close();
      await sleep(PHASE_MS);
      // 3. Back on the same port, but answering each batch after 5 s.
      intake = await FakeIntake.start({ port, intakeKey: INTAKE_KEY, onBatch, keepEvents: false });
      intakes.push(intake);
      intake.delay(5_000);
      await sleep(PHASE_MS);
      const outagePeak = peak;
      expect(missing()).toBeGreaterThan(0); // the outage did hold rows back

      // Back to normal: everything arrives.
      intake.delay(0);
      await waitFor(() => missing() === 0, 180_000, "every row to arrive").catch((err: Error) => {
        throw new Error(
          `${err.message}; ${missing()} row(s) missing; the collector said:\n${stderr().slice(-3000)}`,
        );
      });
      child.kill("SIGTERM");
      const result = await done;
      expect(result.code, result.stderr.slice(-1500)).toBe(0);

      const rows = [...expected.values()].reduce((a, b) => a + b, 0);
      const sent = [...received.values()].reduce((a, b) => a + b, 0);
      const unknown = [...received.keys()].filter((key) => !expected.has(key));
      const lines = logLines(stderr());
      console.log(
        `intake outage: ${rows} rows, ${sent - rows} sent twice, peak RSS ${outagePeak.toFixed(0)} MiB during the outage, ` +
          `${peak.toFixed(0)} MiB overall; log lines by level ${JSON.stringify(Object.fromEntries(tally(lines.map((l) => l.level))))}`,
      );
      expect(unknown).toEqual([]);
      // The bound of this case is the outage's. The peak of the delivery that follows is the
      // benchmark's business (it is printed above).
      expect(outagePeak).toBeLessThan(RSS_BOUND_MIB);
      const outageMessages = lines.map((l) => l.msg).filter((msg) => /^The Sekoia\.io intake is/.test(msg));
      // Once when it starts and once when it ends, however many cycles failed in between.
      expect(outageMessages).toEqual([
        "The Sekoia.io intake is unavailable; retrying with backoff",
        "The Sekoia.io intake is accepting events again",
      ]);
    } finally {
      clearInterval(sampler);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
