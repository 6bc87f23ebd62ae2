import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { type ClientCredentials, tokenFor } from "../simulator/server/helpers.js";

/** The built CLI: integration tests run the real program, as a user would. */
export const CLI = new URL("../../dist/cli/main.js", import.meta.url).pathname;

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `sfevents-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliLimits {
  /**
   * The largest file the CLI may write, in KiB (`ulimit -f`): past it, write(2) takes part of the
   * bytes and then fails with EFBIG, as on a disk that fills up. It applies to every file the
   * process writes (the state database and its WAL included).
   */
  fileSizeKib?: number;
}

export function startCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  limits: CliLimits = {},
): { child: ChildProcess; done: Promise<RunResult> } {
  const command =
    limits.fileSizeKib === undefined
      ? [process.execPath, CLI, ...args]
      : // SIGXFSZ ignored, so that the write fails with EFBIG instead of killing the process.
        [
          "bash",
          "-c",
          `trap "" XFSZ; ulimit -f ${limits.fileSizeKib}; exec "$0" "$@"`,
          process.execPath,
          CLI,
          ...args,
        ];
  const child = spawn(command[0], command.slice(1), {
    env: { ...process.env, SFEVENTS_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const done = new Promise<RunResult>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  limits: CliLimits = {},
): Promise<RunResult> {
  return startCli(args, env, limits).done;
}

export function writeConfig(dir: string, document: unknown): string {
  const path = join(dir, "sfevents.yaml");
  writeFileSync(path, stringify(document));
  return path;
}

/** The file's complete lines: a last line still being written (no line break yet) is not one. */
export function readNdjson(path: string): string[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, "utf8").split("\n");
  lines.pop();
  return lines.filter((l) => l.length > 0);
}

export interface GroundTruthRow {
  fileId: string;
  row: number;
  values: Record<string, string>;
}

export async function groundTruth(orgUrl: string): Promise<GroundTruthRow[]> {
  const res = await fetch(`${orgUrl}/__sim/rows`);
  if (!res.ok) throw new Error(`/__sim/rows answered ${res.status}`);
  return (await res.text())
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as GroundTruthRow);
}

export async function moveClock(orgUrl: string, body: { advance?: string; time?: string }): Promise<void> {
  const res = await fetch(`${orgUrl}/__sim/clock`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`/__sim/clock answered ${res.status}: ${await res.text()}`);
}

export async function addFault(orgUrl: string, fault: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${orgUrl}/__sim/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(fault),
  });
  if (!res.ok) throw new Error(`/__sim/faults answered ${res.status}: ${await res.text()}`);
}

/** How many times each fault has fired, in the order they were added. */
export async function faultsFired(orgUrl: string): Promise<number[]> {
  const res = await fetch(`${orgUrl}/__sim/faults`);
  return ((await res.json()) as { fired: number }[]).map((f) => f.fired);
}

/** Runs a SOQL query against the org as the collector's app would, all pages. */
export async function soql<T>(org: ClientCredentials, q: string): Promise<T[]> {
  const token = await tokenFor(org);
  const records: T[] = [];
  let next: string | undefined = `/services/data/v64.0/query?q=${encodeURIComponent(q)}`;
  while (next) {
    const res = await fetch(`${org.url}${next}`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`query answered ${res.status}: ${await res.text()}`);
    const page = (await res.json()) as { records: T[]; nextRecordsUrl?: string };
    records.push(...page.records);
    next = page.nextRecordsUrl;
  }
  return records;
}

/**
 * How many times each row (as JSON) must be delivered, from the ground truth of the files a
 * collector takes: a row that a later file of the same event type and hour (or day) repeats counts
 * once, since deduplication delivers it once; identical rows within one file all count.
 */
export function expectedCounts(rows: GroundTruthRow[], interval: "Hourly" | "Daily"): Map<string, number> {
  const perFile = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const counts = perFile.get(r.fileId) ?? new Map<string, number>();
    const json = JSON.stringify(r.values);
    counts.set(json, (counts.get(json) ?? 0) + 1);
    perFile.set(r.fileId, counts);
  }
  // Per scope (event type and hour or day of the row) and row: the most copies any one file holds.
  const perScope = new Map<string, Map<string, number>>();
  for (const counts of perFile.values()) {
    for (const [json, n] of counts) {
      const values = JSON.parse(json) as Record<string, string>;
      const at = values.TIMESTAMP_DERIVED ?? "";
      const scope = `${values.EVENT_TYPE} ${interval === "Hourly" ? at.slice(0, 13) : at.slice(0, 10)}`;
      const scoped = perScope.get(scope) ?? new Map<string, number>();
      scoped.set(json, Math.max(scoped.get(json) ?? 0, n));
      perScope.set(scope, scoped);
    }
  }
  const expected = new Map<string, number>();
  for (const scoped of perScope.values()) {
    for (const [json, n] of scoped) expected.set(json, (expected.get(json) ?? 0) + n);
  }
  return expected;
}

/** Counts of each distinct string: the multiset a delivery is compared with. */
export function tally(items: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

/**
 * The raw events a collector must deliver for the files of one interval the org has published
 * (replaced daily files included), each row exactly once per scope: a row that a later file of the
 * same event type and hour (or day) repeats is counted once, as deduplication delivers it.
 */
export async function expectedEvents(
  org: ClientCredentials,
  interval: "Hourly" | "Daily",
): Promise<Map<string, number>> {
  // Only daily files are ever replaced (and so missing from the listing); a daily-only org has no
  // Interval field at all.
  const listed = await soql<{ Id: string; Interval?: string }>(
    org,
    "SELECT Id, Interval FROM EventLogFile",
  ).catch(() => []);
  const intervalOf = new Map(listed.map((f) => [f.Id, f.Interval ?? "Daily"]));
  const rows = (await groundTruth(org.url)).filter((r) => (intervalOf.get(r.fileId) ?? "Daily") === interval);
  return expectedCounts(rows, interval);
}
