import type { ChildProcess } from "node:child_process";
import { expect } from "vitest";
import { logLines } from "../faults/support.js";
import { readNdjson, type RunResult } from "../integration/harness.js";
import type { FakeIntake } from "./intake.js";

/** What collectors sharing a PostgreSQL state say of their leases, and what a test reads of them. */

const TOOK = /^took (the lease of|over) /;

/** The leases a collector took, as its JSON log says: freely, or by a takeover from `from`. */
export function leasesTaken(stderr: string): { key: string; holder: string; from?: string }[] {
  return logLines(stderr)
    .filter((l) => TOOK.test(l.msg))
    .map((l) => ({
      key: String(l.lease),
      holder: String(l.holder),
      from: l.previousHolder as string | undefined,
    }));
}

/** The leases a collector holds by its log: taken, and neither given back nor lost since. */
export function leasesHeld(stderr: string): Set<string> {
  const held = new Set<string>();
  for (const l of logLines(stderr)) {
    if (TOOK.test(l.msg)) held.add(String(l.lease));
    else if (/^(giving the lease of .* back|lost the lease of )/.test(l.msg)) held.delete(String(l.lease));
  }
  return held;
}

/**
 * Whether the collectors divided the work: every key held, and each collector holding at least one
 * and at most its share. One that started first took more, and gives them back one by one.
 */
export function divided(collectors: readonly RunningCollector[], keys: readonly string[]): boolean {
  const holders = collectors.map((c) => leasesHeld(c.stderr()));
  const held = new Set(holders.flatMap((h) => [...h]));
  const share = Math.ceil(keys.length / collectors.length);
  return holders.every((h) => h.size > 0 && h.size <= share) && keys.every((key) => held.has(key));
}

/**
 * The leases the database says `holder` has: what a killed or paused collector held, those it was
 * giving back included (a lease is released only after the cycle under way, which its log cannot say).
 */
export async function leasesInDatabase(
  sql: (text: string) => Promise<{ rows: Record<string, unknown>[] }>,
  holder: string,
): Promise<Set<string>> {
  const { rows } = await sql(`SELECT work_key FROM sfevents_leases WHERE holder = '${holder}'`);
  return new Set(rows.map((r) => String(r.work_key)));
}

/** How many collectors the database counts alive: those whose last renewal has not run out. */
export async function collectorsAlive(
  sql: (text: string) => Promise<{ rows: Record<string, unknown>[] }>,
): Promise<number> {
  const { rows } = await sql(
    "SELECT count(*)::int AS n FROM sfevents_collectors WHERE alive_until > clock_timestamp()",
  );
  return Number(rows[0].n);
}

/** The leases a collector said it lost. */
export function leasesLost(stderr: string): Set<string> {
  return new Set(
    logLines(stderr)
      .filter((l) => l.msg.startsWith("lost the lease of "))
      .map((l) => String(l.lease)),
  );
}

/**
 * The writes a collector made (rows of the AUDIT_WRITES table) through a lease it had not taken again
 * since `resumedAt`: through a lease it had lost. `leaseOf` tells the lease a source is under.
 */
export function staleWrites(
  writes: readonly { source: string; at: Date }[],
  stderr: string,
  resumedAt: number,
  leaseOf: (source: string) => string = (source) => source,
): { source: string; at: Date }[] {
  const retaken = logLines(stderr).filter((l) => TOOK.test(l.msg) && Date.parse(String(l.time)) > resumedAt);
  return writes.filter(
    (w) =>
      !retaken.some((l) => l.lease === leaseOf(w.source) && Date.parse(String(l.time)) <= w.at.getTime()),
  );
}

/** The events of a file output: a line a kill -9 cut short is no event (the output cuts it when it opens the file again). */
export function outputRecords(path: string): Record<string, unknown>[] {
  return readNdjson(path).flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** A `sfevents collect` process of a test, with the intake it sends to. */
export interface RunningCollector {
  name: string;
  child: ChildProcess;
  done: Promise<RunResult>;
  /** What it has written to stderr so far. */
  stderr: () => string;
  intake: FakeIntake;
}

/** Ends every collector a test left running, paused ones too, and closes their intakes. */
export async function killCollectors(collectors: readonly RunningCollector[]): Promise<void> {
  for (const c of collectors) {
    c.child.kill("SIGCONT");
    c.child.kill("SIGKILL");
    await c.done;
    await c.intake.close();
  }
}

/** Stops a collector with SIGTERM; it must leave cleanly. */
export async function stopCollector(c: RunningCollector): Promise<void> {
  c.child.kill("SIGTERM");
  const result = await c.done;
  expect(result.code, result.stderr.slice(-2000)).toBe(0);
}

/** From when it runs, every unit and checkpoint written is recorded with the application_name of the collector that wrote it. */
export const AUDIT_WRITES = `CREATE TABLE audit (app text, source text, at timestamptz DEFAULT clock_timestamp());
  CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO audit (app, source) VALUES (current_setting('application_name'), NEW.source); RETURN NEW; END $$;
  CREATE TRIGGER audit_units AFTER INSERT ON sfevents_delivered_units FOR EACH ROW EXECUTE FUNCTION audit();
  CREATE TRIGGER audit_checkpoints AFTER INSERT OR UPDATE ON sfevents_checkpoints FOR EACH ROW EXECUTE FUNCTION audit();`;
