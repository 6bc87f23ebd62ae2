import { startLocalIntake } from "../dist/simulator/sekoia-intake.js";

/**
 * The Sekoia-style intake of the collect scenarios, in a process of its own so its CPU time is not the
 * collector's: it acknowledges each batch at once and keeps counts only. Prints its URL, then on
 * SIGTERM its counts as one JSON line ({"batches","events","bytes","rejected"}).
 *
 * With `--latency`, it also notes for each event how long after its EventDate it arrived (the Sekoia
 * shape's TIMESTAMP_DERIVED), by the millisecond, and adds `latency: {p50, p99, max}` (ms) to the line.
 */
const latency = process.argv.includes("--latency") ? new Map() : undefined;
const onBatch =
  latency &&
  ((events) => {
    const now = Date.now();
    for (const event of events) {
      const ms = now - Date.parse(JSON.parse(event).TIMESTAMP_DERIVED);
      latency.set(ms, (latency.get(ms) ?? 0) + 1);
    }
  });
const intake = await startLocalIntake({ onBatch });
process.stdout.write(`${intake.url}\n`);
process.once("SIGTERM", async () => {
  await intake.close();
  const line = latency ? { ...intake.stats, latency: percentiles(latency) } : intake.stats;
  process.stdout.write(`${JSON.stringify(line)}\n`);
});

/** From a count of events by latency (ms): the 50th and 99th percentiles and the largest. */
function percentiles(counts) {
  const sorted = [...counts].sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((sum, [, n]) => sum + n, 0);
  const at = (share) => {
    let seen = 0;
    for (const [ms, n] of sorted) {
      seen += n;
      if (seen >= share * total) return ms;
    }
    return null;
  };
  return { p50: at(0.5), p99: at(0.99), max: at(1) };
}
