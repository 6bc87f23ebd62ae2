import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/simulator/server/index.js";
import { SMALLEST_THREADED_FILE } from "../../src/sources/event-log-files/decode-threads.js";
import { FakeIntake } from "../support/intake.js";
import { FakeOrg } from "../support/org.js";
import { deliveredFiles, expectedRows, logLines, waitFor } from "../faults/support.js";
import { readNdjson, runCli, soql, startCli, tempDir, writeConfig } from "./harness.js";

/**
 * `threads:` (issue 11): Event Log Files decoded on worker threads give exactly the events, the
 * order and the dead letters of the main thread. Each pair of runs reads one file at a time, so that
 * the order of the lines is the files' own and the two outputs can be compared byte for byte. Only
 * files of 1 MiB and more go to a thread (SMALLEST_THREADED_FILE): each test has some.
 */

const INTAKE_KEY = "threads-intake-key";

describe("sfevents collect with threads", () => {
  let dir: ReturnType<typeof tempDir>;
  const closing: (() => Promise<unknown>)[] = [];

  afterEach(async () => {
    for (const close of closing.splice(0)) await close();
    dir?.remove();
  });

  interface Run {
    stderr: string;
    /** The files the log says were decoded on a thread. */
    threaded: string[];
    out: string;
    intake: string[];
    deadLetters: string[];
  }

  /** One `collect --once` from a fresh state in its own folder, with `threads` set as given. */
  async function collectWith(
    org: { url: string; clientId: string; clientSecret: string },
    threads: number,
    format: "raw" | "ecs",
  ): Promise<Run> {
    const folder = join(dir.path, `threads-${threads}`);
    const intake = await FakeIntake.start({ intakeKey: INTAKE_KEY });
    closing.push(() => intake.close());
    const out = join(folder, "out", "events.ndjson");
    const path = writeConfig(dir.path, {
      salesforce: { url: org.url, client_id: org.clientId, client_secret: "${SF_SECRET}" },
      event_log_files: { start: "2000-01-01T00:00:00Z", concurrency: 1 },
      outputs: {
        sekoia: { url: intake.url, intake_key: "${INTAKE_KEY}" },
        file: { path: out, format },
      },
      state: { path: join(folder, "state.sqlite") },
      threads,
      dead_letters: { path: join(folder, "dead-letters.ndjson") },
    });
    const run = await runCli(["collect", "--once", "--config", path], {
      SF_SECRET: org.clientSecret,
      INTAKE_KEY,
      SFEVENTS_LOG_LEVEL: "debug",
    });
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    return {
      stderr: run.stderr,
      threaded: logLines(run.stderr)
        .filter((l) => l.msg.startsWith("delivered ") && l.decodedOnThread === true)
        .map((l) => String(l.fileId)),
      out: readFileSync(out, "utf8"),
      // Batches in flight side by side may be stored in either order: the intake's events as a set.
      intake: [...intake.events].sort(),
      // The time a letter was written differs from run to run; what it says must not.
      deadLetters: readNdjson(join(folder, "dead-letters.ndjson")).map((line) => {
        const { time: _time, ...letter } = JSON.parse(line) as Record<string, unknown>;
        return JSON.stringify(letter);
      }),
    };
  }

  it("delivers the simulated org's rows, raw and as ECS, exactly as the main thread does", async () => {
    dir = tempDir("collect-threads");
    // The org's own files are small and stay on the main thread; these three are large enough for one.
    const large_files = [
      { event_type: "LightningPageView", bytes: 2_000_000, interval: "Hourly" as const },
      { event_type: "URI", bytes: 1_500_000, interval: "Hourly" as const },
      { event_type: "ApexUnexpectedException", bytes: 1_200_000, interval: "Hourly" as const },
    ];
    const org = await startSimulator({ seed: 7, days: 2, clock: { running: false }, org: { large_files } });
    closing.push(() => org.close());
    const main = await collectWith(org, 0, "ecs");
    const threads = await collectWith(org, 2, "ecs");
    expect(main.stderr).toContain("Event Log Files are decoded on the main thread");
    expect(threads.stderr).toContain(
      "Event Log Files are decoded on 2 worker threads; those under 1 MiB on the main thread",
    );
    expect(main.threaded).toEqual([]);
    expect(threads.threaded).toHaveLength(large_files.length);
    expect(main.intake.length).toBeGreaterThan(100);
    expect(threads.intake).toEqual(main.intake);
    expect(threads.out).toBe(main.out);
    expect(threads.deadLetters).toEqual(main.deadLetters);
  });

  it("reads bad rows, rows cut across chunks and escapes as the main thread does", async () => {
    dir = tempDir("collect-threads-bad");
    const org = await FakeOrg.start({
      logFiles: [
        {
          id: "0ATfake00000000T1",
          eventType: "URI",
          fieldNames: COLUMNS.join(","),
          body: largeFileWithBadRows(),
        },
      ],
    });
    closing.push(() => org.close());
    const main = await collectWith(org, 0, "raw");
    const threads = await collectWith(org, 1, "raw");
    expect(threads.threaded).toEqual(["0ATfake00000000T1"]);
    expect(main.deadLetters.length).toBe(BAD_ROWS);
    expect(readNdjson(join(dir.path, "threads-0", "out", "events.ndjson")).length).toBe(ROWS - BAD_ROWS);
    expect(threads.out).toBe(main.out);
    expect(threads.intake).toEqual(main.intake);
    expect(threads.deadLetters).toEqual(main.deadLetters);
  });

  it("skips the rows a threaded file repeats from a file read on the main thread", async () => {
    dir = tempDir("collect-threads-repeats");
    // Two files of one scope (the fake org gives them the same hour): the later one, large enough for
    // a thread, repeats every row of the earlier, small one. Its fingerprints, computed on the
    // thread, must match those the main thread recorded, or the repeated rows would go out twice.
    const all = goodRows(16_000);
    const small = `${all.slice(0, 501).join("\n")}\n`;
    const large = `${all.join("\n")}\n`;
    expect(Buffer.byteLength(small)).toBeLessThan(SMALLEST_THREADED_FILE);
    expect(Buffer.byteLength(large)).toBeGreaterThanOrEqual(SMALLEST_THREADED_FILE);
    const org = await FakeOrg.start({
      logFiles: [
        { id: "0ATfake00000000S1", eventType: "URI", fieldNames: COLUMNS.join(","), body: small },
        { id: "0ATfake00000000L2", eventType: "URI", fieldNames: COLUMNS.join(","), body: large },
      ],
    });
    closing.push(() => org.close());
    const run = await collectWith(org, 1, "raw");
    expect(run.threaded).toEqual(["0ATfake00000000L2"]);
    expect(run.intake).toHaveLength(16_000);
    expect(new Set(run.intake).size).toBe(16_000);
    const repeated = logLines(run.stderr).find(
      (l) => l.fileId === "0ATfake00000000L2" && l.msg.startsWith("delivered "),
    );
    expect(repeated?.repeatedRows).toBe(500);
  });

  it("loses no row to a kill -9 while a thread holds part of a file", async () => {
    dir = tempDir("collect-threads-kill");
    const org = await startSimulator({
      seed: 7,
      days: 1,
      start: "2026-11-20T15:00:00Z",
      clock: { running: false },
      org: {
        event_types: ["URI"],
        large_files: [{ event_type: "URI", bytes: 3_000_000, interval: "Hourly" }],
      },
    });
    closing.push(() => org.close());
    const intake = await FakeIntake.start({ intakeKey: INTAKE_KEY });
    closing.push(() => intake.close());
    const files = await soql<{ Id: string; LogFileLength: number }>(
      org,
      "SELECT Id, LogFileLength FROM EventLogFile",
    );
    const large = files.filter((f) => f.LogFileLength >= SMALLEST_THREADED_FILE).map((f) => f.Id);
    expect(large).toHaveLength(1);
    const truth = await expectedRows(org);
    const statePath = join(dir.path, "state.sqlite");
    const path = writeConfig(dir.path, {
      salesforce: { url: org.url, client_id: org.clientId, client_secret: "${SF_SECRET}" },
      event_log_files: { start: "2000-01-01T00:00:00Z", concurrency: 1 },
      // Small batches, slowly acknowledged: the kill lands with the file part sent, part on the thread.
      outputs: { sekoia: { url: intake.url, intake_key: "${INTAKE_KEY}", max_batch_events: 200 } },
      state: { path: statePath },
      threads: 1,
      dead_letters: { path: join(dir.path, "dead-letters.ndjson") },
    });
    const env = { SF_SECRET: org.clientSecret, INTAKE_KEY };
    intake.delay(50);
    const { child, done } = startCli(["collect", "--once", "--config", path], env);
    await waitFor(
      () => intake.events.some((json) => truth.fileOf(json) === large[0]),
      60_000,
      "the large file's rows",
    );
    child.kill("SIGKILL");
    expect((await done).signal).toBe("SIGKILL");
    expect(deliveredFiles(statePath).has(large[0])).toBe(false);

    intake.delay(0);
    const again = await runCli(["collect", "--once", "--log-level", "info", "--config", path], env);
    expect(again.code, again.stderr.slice(-2000)).toBe(0);
    const threaded = logLines(again.stderr).filter(
      (l) => l.msg.startsWith("delivered ") && l.decodedOnThread,
    );
    expect(threaded.map((l) => l.fileId)).toEqual(large);
    truth.expectAllAtLeastOnce(intake.events);
  });
});

const COLUMNS = ["EVENT_TYPE", "TIMESTAMP", "REQUEST_ID", "URI"];
const quoted = (value: string) => `"${value.replace(/"/g, '""')}"`;

/** The header, then `rows` rows, each different. */
function goodRows(rows: number): string[] {
  const lines = [COLUMNS.map(quoted).join(",")];
  for (let i = 0; i < rows; i++) {
    const values = ["URI", "20261120100000.000", `r${i}`, `/apex/Page${i}?id=${"x".repeat(i % 40)}`];
    lines.push(values.map(quoted).join(","));
  }
  return lines;
}
const ROWS = 15_000;
/** Every 97th row (the first among them) has a column too few: 155 of them. */
const BAD_ROWS = Math.ceil(ROWS / 97);

/**
 * About 1.15 MB, so that it goes to a thread and its rows cross many 64 KiB chunks: some values quoted over two lines, with
 * doubled quotes, backslashes, a tab and non-ASCII text, which the JSON must escape or carry.
 */
function largeFileWithBadRows(): string {
  const lines = [COLUMNS.map(quoted).join(",")];
  for (let i = 0; i < ROWS; i++) {
    const uri =
      i % 5 === 0 ? `/a "quoted"\npath\\${i}\twith é and 日本` : `/apex/Page${i}?id=${"x".repeat(i % 40)}`;
    const values = ["URI", `20261120${String(100000 + (i % 60)).padStart(6, "0")}.000`, `r${i}`, uri];
    lines.push((i % 97 === 0 ? values.slice(0, 3) : values).map(quoted).join(","));
  }
  return `${lines.join("\n")}\n`;
}
