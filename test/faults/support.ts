import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect } from "vitest";
import { startSimulator } from "../../src/simulator/server/index.js";
import { FakeIntake } from "../support/intake.js";
import type { LogLine } from "../support/logger.js";
import {
  expectedCounts,
  type GroundTruthRow,
  groundTruth,
  moveClock,
  soql,
  tally,
  tempDir,
  writeConfig,
} from "../integration/harness.js";

/** Helpers shared by the fault suite (test/faults/) and the quick fault cases (test/integration/faults-*). */

export type Org = Awaited<ReturnType<typeof startSimulator>>;

export const INTAKE_KEY = "faults-intake-key-3c9f1e";

/** The seed of every seeded test unless FAULTS_SEED names another: the same run in CI and locally. */
export const DEFAULT_SEED = 20261120;

/** The seed a seeded test runs with: FAULTS_SEED when set, else DEFAULT_SEED. */
export function faultsSeed(): number {
  const text = process.env.FAULTS_SEED;
  if (text === undefined || text === "") return DEFAULT_SEED;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new Error(
      `FAULTS_SEED must be a non-negative integer, not "${text}"; unset it to use ${DEFAULT_SEED}.`,
    );
  return seed;
}

/**
 * A seeded random source (mulberry32), so a run can be replayed: the seed is `seed` when given (a
 * seed kept as a regression case), else faultsSeed(), and is printed either way.
 */
export function seededRandom(
  name: string,
  seed = faultsSeed(),
): { seed: number; next: () => number; int(n: number): number } {
  console.log(`${name}: seed ${seed} (rerun with FAULTS_SEED=${seed})`);
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next, int: (n) => Math.floor(next() * n) };
}

export interface CollectorConfigOptions {
  dir: string;
  org: Org;
  intake?: FakeIntake;
  outFile?: string;
  /** More settings of outputs.file, e.g. `{ format: "ecs" }`. */
  outFileSettings?: Record<string, unknown>;
  eventTypes?: string[];
  pollEvery?: string;
  retryBudget?: string;
  concurrency?: number;
  /** More outputs.sekoia settings (request_timeout, max_batch_bytes...). */
  sekoia?: Record<string, unknown>;
}

/** A collector configuration with the secrets left to the environment (see collectorEnv). */
export function collectorConfig(o: CollectorConfigOptions): string {
  return writeConfig(o.dir, {
    salesforce: { url: o.org.url, client_id: o.org.clientId, client_secret: "${SF_SECRET}" },
    event_log_files: {
      interval: "auto",
      start: "2000-01-01T00:00:00Z",
      concurrency: o.concurrency ?? 2,
      ...(o.eventTypes ? { event_types: o.eventTypes } : {}),
      ...(o.pollEvery ? { poll_every: o.pollEvery } : {}),
    },
    outputs: {
      ...(o.intake
        ? {
            sekoia: {
              url: o.intake.url,
              intake_key: "${INTAKE_KEY}",
              ...(o.retryBudget ? { retry_budget: o.retryBudget } : {}),
              ...o.sekoia,
            },
          }
        : {}),
      ...(o.outFile ? { file: { path: o.outFile, ...o.outFileSettings } } : {}),
    },
    state: { path: join(o.dir, "state.sqlite") },
    dead_letters: { path: join(o.dir, "dead-letters.ndjson") },
  });
}

export function collectorEnv(org: Org): NodeJS.ProcessEnv {
  return { SF_SECRET: org.clientSecret, INTAKE_KEY };
}

/** The rows the collector must deliver: every row of the hourly files the org lists now. */
export async function expectedRows(org: Org, eventTypes?: string[]): Promise<GroundTruth> {
  const where =
    "Interval = 'Hourly'" +
    (eventTypes ? ` AND EventType IN (${eventTypes.map((t) => `'${t}'`).join(",")})` : "");
  const files = await soql<{ Id: string }>(org, `SELECT Id FROM EventLogFile WHERE ${where}`);
  const ids = new Set(files.map((f) => f.Id));
  return new GroundTruth((await groundTruth(org.url)).filter((r) => ids.has(r.fileId)));
}

/** The simulator's ground truth as what a delivery is checked against: each row's JSON and its file. */
export class GroundTruth {
  /** How many times each row's JSON is expected (identical rows may exist, in one file or several). */
  readonly counts: Map<string, number>;
  /** The files each row's JSON comes from. */
  readonly files = new Map<string, Set<string>>();
  /** How many rows each file has that can be attributed to it alone (see fileOf). */
  readonly rowsPerFile = new Map<string, number>();

  constructor(rows: GroundTruthRow[]) {
    const jsons = rows.map((r) => JSON.stringify(r.values));
    // A row a later file of its hour repeats is expected once: deduplication delivers it once.
    this.counts = expectedCounts(rows, "Hourly");
    rows.forEach((r, i) => {
      const set = this.files.get(jsons[i]) ?? new Set<string>();
      set.add(r.fileId);
      this.files.set(jsons[i], set);
    });
    for (const [json, count] of this.counts) {
      const file = this.fileOf(json);
      if (file) this.rowsPerFile.set(file, (this.rowsPerFile.get(file) ?? 0) + count);
    }
  }

  /** Rows of the files not in `delivered`: a run sends at least these (no delivered file has them). */
  rowsLeft(delivered: ReadonlySet<string>): number {
    let left = 0;
    for (const [file, rows] of this.rowsPerFile) if (!delivered.has(file)) left += rows;
    return left;
  }

  /** The one file a row comes from; undefined for a row several files share, which cannot be attributed. */
  fileOf(json: string): string | undefined {
    const files = this.files.get(json);
    return files?.size === 1 ? [...files][0] : undefined;
  }

  get rows(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }

  /** Rows expected but delivered fewer times than expected (a loss), and delivered rows nobody published. */
  compare(delivered: Iterable<string>): { missing: string[]; unknown: string[]; extra: Map<string, number> } {
    const got = tally(delivered);
    const missing: string[] = [];
    const extra = new Map<string, number>();
    for (const [json, want] of this.counts) {
      const have = got.get(json) ?? 0;
      if (have < want) missing.push(json);
      if (have > want) extra.set(json, have - want);
    }
    const unknown = [...got.keys()].filter((json) => !this.counts.has(json));
    return { missing, unknown, extra };
  }

  /** Asserts every row arrived at least once and nothing arrived that the org never published. */
  expectAllAtLeastOnce(delivered: Iterable<string>): Map<string, number> {
    const { missing, unknown, extra } = this.compare(delivered);
    expect(missing.slice(0, 3), `${missing.length} row(s) lost`).toEqual([]);
    expect(unknown.slice(0, 3), `${unknown.length} row(s) nobody published`).toEqual([]);
    return extra;
  }
}

/**
 * Ids of the files the state database records as delivered (read while no collector runs). Opened
 * read-only: a database the collector never got to create stays absent, one killed in its first
 * migration stays without tables, and both mean nothing was delivered.
 */
export function deliveredFiles(statePath: string): Set<string> {
  if (!existsSync(statePath)) return new Set();
  const db = new Database(statePath, { readonly: true, fileMustExist: true });
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'delivered_units'").get();
    if (table === undefined) return new Set();
    // An Event Log File's unit is `Id@CreatedDate`.
    const units = db.prepare("SELECT unit FROM delivered_units").pluck().all() as string[];
    return new Set(units.map((unit) => unit.slice(0, unit.indexOf("@"))));
  } finally {
    db.close();
  }
}

/**
 * The org's rows, once some are left to deliver: the frozen clock moves an hour at a time until
 * a file the state has not recorded as delivered has rows, so a stop or a kill meant to land while
 * the collector delivers has a delivery to land in, however much the runs before it delivered.
 * `known` is the org's rows when the caller read them after the clock last moved (reading is slow);
 * `hours` says how far the clock had to move.
 */
export async function withWorkLeft(
  org: Org,
  statePath: string,
  known?: GroundTruth,
): Promise<{ truth: GroundTruth; left: number; hours: number }> {
  let truth = known ?? (await expectedRows(org));
  for (let hours = 0; ; hours++) {
    const left = truth.rowsLeft(deliveredFiles(statePath));
    if (left > 0) return { truth, left, hours };
    if (hours === 48) throw new Error("the simulated org published nothing new to deliver in 48 hours");
    await moveClock(org.url, { advance: "1h" });
    truth = await expectedRows(org);
  }
}

/** The process's resident set in MiB, from /proc (Linux); undefined once it has exited. */
export function rssMib(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/**
 * The warnings, errors and fatal lines of a run: what an operator is paged about. The simulated
 * org of the fault tests keeps its clock frozen in the past (so its data is the same on every run):
 * the one warning that says the org's clock differs from the host's is the truth, not an incident.
 */
export function alarms(stderr: string): LogLine[] {
  return logLines(stderr).filter(
    (l) =>
      (l.level === "warn" || l.level === "error" || l.level === "fatal") &&
      !l.msg.startsWith("The org's clock is"),
  );
}

/** The collector's JSON log lines on stderr (anything else, such as a progress bar, is skipped). */
export function logLines(stderr: string): LogLine[] {
  return stderr
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as LogLine];
      } catch {
        return [];
      }
    });
}

/** A stack trace's frames ("    at fn (file:line)"): never the only explanation a user gets. */
export function expectNoStackTrace(text: string): void {
  expect(text).not.toMatch(/^\s+at .+:\d+/m);
  expect(text).not.toMatch(/\\n\s+at /);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `condition` every 50 ms until it holds, or fails after `ms` with `what`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** What a running child has written to stderr so far (startCli hands it over only at the end). */
export function liveStderr(child: ChildProcess): () => string {
  let text = "";
  child.stderr?.on("data", (d: string | Buffer) => {
    text += d.toString();
  });
  return () => text;
}

/**
 * Hourly files of 2 MB, over SMALLEST_THREADED_FILE: with the collector's default threads (one on a
 * two-core machine) these are decoded on a worker thread, the rest of the org on the main thread.
 */
export const THREADED_FILES = [
  { event_type: "URI", bytes: 2_000_000, interval: "Hourly" as const },
  { event_type: "LightningPageView", bytes: 2_000_000, interval: "Hourly" as const },
];

/**
 * A simulated org with a frozen clock (files appear only when the test moves it, so the ground truth
 * read at the end is exactly what the collector could see), a local intake and a temporary folder,
 * shared by the tests of one file. `largeFiles` adds files of a declared size to its own.
 */
export function useFrozenOrg(
  seed: number,
  name: string,
  largeFiles: typeof THREADED_FILES = [],
): { org: Org; intake: FakeIntake; dir: string } {
  const env = {} as { org: Org; intake: FakeIntake; dir: string };
  let folder: ReturnType<typeof tempDir> | undefined;
  beforeAll(async () => {
    folder = tempDir(name);
    env.dir = folder.path;
    env.org = await startSimulator({
      seed,
      days: 2,
      start: "2026-11-20T15:00:00Z",
      clock: { running: false },
      org: { large_files: largeFiles },
    });
    env.intake = await FakeIntake.start({ intakeKey: INTAKE_KEY });
  });
  afterAll(async () => {
    await env.intake?.close();
    await env.org?.close();
    folder?.remove();
  });
  return env;
}
