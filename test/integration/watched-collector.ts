import { join } from "node:path";
import type { LocalIntake } from "../../src/simulator/sekoia-intake.js";
import type { startSimulator } from "../../src/simulator/server/index.js";
import { liveStderr, logLines, waitFor } from "../faults/support.js";
import { type RunResult, startCli, writeConfig } from "./harness.js";

/** Helpers of the tests of /metrics, the probes and the status page, against the real CLI. */

type Org = Awaited<ReturnType<typeof startSimulator>>;

export const WATCHED_INTAKE_KEY = "watched-intake-key-7d41a2";

export interface WatchedCollector {
  /** Where the operator endpoints listen, read from the collector's log line. */
  url: string;
  org: string;
  stderr(): string;
  /** Resolves once `n` cycles have ended (their "cycle done" summary lines). */
  cycles(n: number): Promise<void>;
  /** SIGTERM, then the run's result. */
  stop(): Promise<RunResult>;
}

/**
 * Starts `sfevents collect` (polling hourly, so one cycle runs) with `metrics.listen` on a port the
 * system picks, delivering to the intake and to a file in `dir`.
 */
export async function startWatchedCollector(o: {
  dir: string;
  org: Org;
  intake: LocalIntake;
  sekoia?: Record<string, unknown>;
}): Promise<WatchedCollector> {
  const config = writeConfig(o.dir, {
    salesforce: { url: o.org.url, client_id: o.org.clientId, client_secret: "${SF_SECRET}" },
    event_log_files: { start: "2000-01-01T00:00:00Z", event_types: ["Login", "API"], poll_every: "1h" },
    outputs: {
      sekoia: { url: o.intake.url, intake_key: "${INTAKE_KEY}", ...o.sekoia },
      file: { path: join(o.dir, "out", "events.ndjson") },
    },
    state: { path: join(o.dir, "state.sqlite") },
    dead_letters: { path: join(o.dir, "dead-letters.ndjson") },
    metrics: { listen: "127.0.0.1:0" },
  });
  const { child, done } = startCli(["collect", "--config", config], {
    SF_SECRET: o.org.clientSecret,
    INTAKE_KEY: WATCHED_INTAKE_KEY,
  });
  const stderr = liveStderr(child);
  const listening = () =>
    logLines(stderr()).find((l) => typeof l.url === "string" && l.msg.startsWith("metrics at"));
  await waitFor(() => listening() !== undefined || child.exitCode !== null, 30_000, "the metrics log line");
  const line = listening();
  if (line === undefined) throw new Error(`the collector did not start:\n${stderr().slice(-2000)}`);
  return {
    url: line.url as string,
    org: new URL(o.org.url).host,
    stderr,
    cycles: (n) =>
      waitFor(
        () => logLines(stderr()).filter((l) => l.msg.startsWith("cycle done")).length >= n,
        60_000,
        `${n} cycle(s)`,
      ),
    async stop() {
      child.kill("SIGTERM");
      return done;
    },
  };
}

/** One sample of the Prometheus text: the value of `name` whose labels include `labels`. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}
