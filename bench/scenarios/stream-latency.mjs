import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { sfevents } from "../lib/cli.mjs";
import { launch } from "../lib/process.mjs";
import { round } from "../lib/report.mjs";
import { CREDENTIALS, startIntake, startSimulator } from "../lib/services.mjs";

/**
 * The Pub/Sub stream, end to end (issue 10): the simulated org publishes ApiEvents at a steady rate
 * on its running clock, `sfevents collect` streams them into the intake, and the intake notes how
 * long after its EventDate (the moment it was published) each event arrived. At 100 and 2,000
 * events a second, for a minute each at full scale; target p99 under 1 s at 2,000 a second, with
 * the collector's peak RSS under 200 MB.
 */

const RATES = [100, 2000];
const FULL_SECONDS = 60;
const MAX_P99_MS = 1000;
const MAX_COLLECTOR_RSS_MB = 200;
/** Time for the collector to start and subscribe before the first event. */
const WARM_UP_MS = 20_000;

export async function streamLatency(context) {
  const seconds = Math.max(10, Math.round(FULL_SECONDS * context.options.scale));
  const runs = [];
  for (const rate of RATES) runs.push(await streamAt(context, rate, seconds));
  const fast = runs.at(-1);
  return {
    scenario: "stream-latency",
    seconds_per_rate: seconds,
    rates: runs,
    limit: runs
      .map((r) => `${r.rate}/s: p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, ${r.peak_rss_mb} MB`)
      .join("; "),
    target: `every event delivered; p99 < ${MAX_P99_MS} ms at ${RATES.at(-1)} events/s; collector peak RSS < ${MAX_COLLECTOR_RSS_MB} MB`,
    met:
      runs.every((r) => r.delivered === r.published) &&
      fast.p99_ms < MAX_P99_MS &&
      fast.peak_rss_mb < MAX_COLLECTOR_RSS_MB,
  };
}

async function streamAt(context, rate, seconds) {
  const name = `stream-latency-${rate}`;
  const rows = rate * seconds;
  const now = Date.now();
  const at = new Date(now + WARM_UP_MS);
  const simulator = await startSimulator(context, name, {
    seed: context.options.seed,
    start: new Date(now).toISOString(),
    days: 1,
    clock: { running: true },
    oauth: { token_ttl: "24h" },
    objects: {
      rows_per_hour: { ApiEvent: 0 },
      bursts: [{ object: "ApiEvent", rows, at: at.toISOString(), span: `${seconds}s` }],
    },
  });
  const intake = await startIntake(["--latency"]);
  let collector;
  try {
    // The org's clock runs from the scenario's start, taken before the simulator started: events
    // are published that much after their EventDate by the wall clock. Measured, and taken off.
    const asked = Date.now();
    const { time } = await (await fetch(`${simulator.url}/__sim/clock`)).json();
    const offsetMs = (asked + Date.now()) / 2 - Date.parse(time);
    const { endpoint } = await (await fetch(`${simulator.url}/__sim/pubsub`)).json();
    const configPath = join(context.tmpDir, `${name}-config.json`);
    writeFileSync(
      configPath,
      JSON.stringify({
        salesforce: { url: simulator.url, ...CREDENTIALS },
        streams: { topics: ["/event/ApiEventStream"], endpoint, tls: false },
        outputs: { sekoia: { url: intake.url, intake_key: "bench-intake-key" } },
        state: { path: join(context.tmpDir, `${name}.sqlite`) },
        dead_letters: { path: join(context.tmpDir, `${name}-dead-letters.ndjson`) },
      }),
    );
    collector = launch(
      process.execPath,
      sfevents(context, name, "collector", ["collect", "--config", configPath]),
    );
    const subscribed = await until(async () => {
      const subs = await (await fetch(`${simulator.url}/__sim/pubsub/subscriptions`)).json();
      return subs.some((s) => s.open);
    }, WARM_UP_MS);
    if (!subscribed || Date.now() - offsetMs > at.getTime())
      throw new Error(`${name}: the collector did not subscribe before the first event; raise WARM_UP_MS`);
    // Published through the end of the burst, then given a little while to arrive.
    const end = at.getTime() + seconds * 1000 + offsetMs;
    await until(() => Date.now() > end, seconds * 1000 + WARM_UP_MS * 2);
    const published = (
      await (await fetch(`${simulator.url}/__sim/pubsub/published?topic=/event/ApiEventStream`)).json()
    ).topics["/event/ApiEventStream"].published;
    await new Promise((r) => setTimeout(r, 3000));
    collector.child.kill("SIGTERM");
    const figures = await collector.exited;
    const received = (await intake.stop()).received;
    await simulator.stop();
    const latency = percentiles(received.latency, offsetMs);
    context.log(
      `  stream-latency: ${rate}/s, ${received.events} of ${published} events, p50 ${latency.p50} ms, p99 ${latency.p99} ms, collector peak RSS ${round(figures.peakRssMb, 1)} MB, ${round(figures.cpuSeconds, 1)} s CPU`,
    );
    return {
      rate,
      published,
      delivered: received.events,
      p50_ms: latency.p50,
      p99_ms: latency.p99,
      max_ms: latency.max,
      peak_rss_mb: round(figures.peakRssMb, 1),
      collector_cpu_s: round(figures.cpuSeconds, 2),
    };
  } catch (err) {
    collector?.child.kill("SIGKILL");
    await intake.stop().catch(() => {});
    await simulator.stop().catch(() => {});
    throw err;
  }
}

/** The intake's percentiles (ms after EventDate), less the publishing offset. */
function percentiles(raw, offsetMs) {
  const less = (ms) => (ms === null ? Number.NaN : Math.max(0, Math.round(ms - offsetMs)));
  return { p50: less(raw.p50), p99: less(raw.p99), max: less(raw.max) };
}

async function until(condition, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
