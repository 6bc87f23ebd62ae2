import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sfevents } from "./cli.mjs";
import { launch, succeeded } from "./process.mjs";
import { CREDENTIALS, startIntake, startSimulator } from "./services.mjs";

/**
 * One collect run as users run it: a simulated org and an intake in their own processes, then
 * `sfevents collect --once` with a fresh state from `start` (or with the given `sources` sections),
 * each process watched until it ends.
 * Returns the collector's figures with the simulator's and the intake's, and what the intake received
 * and the simulator served.
 */
export async function collectOnce(context, name, { scenario, eventTypes, start, sources }) {
  const simulator = await startSimulator(context, name, scenario);
  let intake;
  try {
    intake = await startIntake();
    const statePath = join(context.tmpDir, `${name}.sqlite`);
    rmSync(statePath, { force: true });
    const configPath = join(context.tmpDir, `${name}-config.json`);
    writeFileSync(
      configPath,
      JSON.stringify({
        salesforce: { url: simulator.url, ...CREDENTIALS },
        // Event Log Files unless the scenario names its own sources' sections.
        ...(sources ?? {
          event_log_files: { interval: "hourly", event_types: eventTypes, start: start.toISOString() },
        }),
        outputs: { sekoia: { url: intake.url, intake_key: "bench-intake-key" } },
        state: { path: statePath },
        ...(context.options.threads === undefined ? {} : { threads: context.options.threads }),
        dead_letters: { path: join(context.tmpDir, `${name}-dead-letters.ndjson`) },
      }),
    );
    // The simulator and the intake were busy starting: only their work during the collection counts.
    const idle = { simulator: simulator.run.sample().cpuSeconds, intake: intake.run.sample().cpuSeconds };
    const run = launch(
      process.execPath,
      sfevents(context, name, "collector", ["collect", "--once", "--config", configPath]),
    );
    // A service that dies mid-run would leave the collector retrying for nothing: stop and say why.
    const died = Promise.race([
      simulator.run.exited.then((r) => ["sfevents simulate", r]),
      intake.run.exited.then((r) => ["the benchmark's intake", r]),
    ]).then(([what, r]) => {
      run.child.kill("SIGTERM");
      throw new Error(
        `${what} stopped during the collection (status ${r.code}, ${r.signal}):\n${r.stderr.trim()}`,
      );
    });
    died.catch(() => {});
    const collector = await Promise.race([succeeded(run, "sfevents collect --once"), died]);
    const served = await (await fetch(`${simulator.url}/__sim/stats`)).json();
    const stopped = await stopBoth(simulator, intake);
    stopped.simulator.cpuSeconds -= idle.simulator;
    stopped.intake.cpuSeconds -= idle.intake;
    return { collector, report: cycleReport(collector.stderr), served, ...stopped };
  } catch (err) {
    await stopBoth(simulator, intake);
    throw err;
  }
}

/** The simulator first, then the intake: each stop is sampled, so their CPU time covers the whole run. */
async function stopBoth(simulator, intake) {
  const simulatorResult = await simulator.stop();
  const intakeResult = await intake?.stop();
  return { simulator: simulatorResult, intake: intakeResult };
}

/** The collector's own account of its cycle, from its log on standard error: the last `cycle done` line. */
function cycleReport(log) {
  for (const text of log.trim().split("\n").reverse()) {
    if (!text.startsWith("{")) continue;
    const line = JSON.parse(text);
    if (typeof line.delivered === "number" && typeof line.rows === "number") return line;
  }
  throw new Error(`sfevents collect --once logged no cycle summary; its last output:\n${log.slice(-2000)}`);
}
