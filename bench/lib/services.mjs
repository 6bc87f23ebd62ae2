import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sfevents } from "./cli.mjs";
import { firstLine, launch, stop } from "./process.mjs";

/** The processes a collect scenario talks to: the simulated org and the intake, each watched like the collector. */

const INTAKE = fileURLToPath(new URL("../intake.mjs", import.meta.url));

/** The connected app the benchmark's simulated orgs accept. */
export const CREDENTIALS = { client_id: "3MVG9bench.consumer.key", client_secret: "bench-consumer-secret" };

/** The current hour: the simulated org's "now", so a collector's wall clock and the org agree. */
export function currentHour() {
  const now = Date.now();
  return new Date(now - (now % 3_600_000));
}

/** `sfevents simulate --scenario FILE` in its own process; `url` once it listens. */
export async function startSimulator(context, name, scenario) {
  const file = join(context.tmpDir, `${name}-scenario.json`);
  writeFileSync(file, JSON.stringify({ ...scenario, oauth: { ...CREDENTIALS, ...scenario.oauth } }));
  const run = launch(
    process.execPath,
    sfevents(context, name, "simulator", ["simulate", "--scenario", file]),
  );
  const url = await firstLine(run, "sfevents simulate");
  return { run, url, stop: () => stop(run) };
}

/** bench/intake.mjs (`--latency`: it measures each event's delay); `stop()` gives its figures and what it received. */
export async function startIntake(args = []) {
  const run = launch(process.execPath, [INTAKE, ...args]);
  const url = await firstLine(run, "the benchmark's intake");
  return {
    run,
    url,
    stop: async () => {
      const result = await stop(run);
      const last = result.stdout.trim().split("\n").at(-1);
      return { ...result, received: JSON.parse(last) };
    },
  };
}
