import { writeFileSync } from "node:fs";
import { startLocalIntake } from "../dist/simulator/sekoia-intake.js";
import { rowKey } from "./lib/row-key.mjs";

/**
 * The Sekoia-style intake of the collect scenarios, in a process of its own so its CPU time is not the
 * collector's: it acknowledges each batch at once and keeps counts only. Prints its URL, then on
 * SIGTERM its counts as one JSON line ({"batches","events","bytes","rejected"}).
 *
 * With `--latency`, it also notes for each event how long after its EventDate it arrived (the Sekoia
 * shape's TIMESTAMP_DERIVED), by the millisecond, and adds `latency: {p50, p99, max}` (ms) to the line.
 *
 * With `--rows FILE`, it notes each distinct event (by rowKey) with when it first arrived and how
 * many times, prints `{"distinct": N}` whenever that number grew in the last half second, and on
 * SIGTERM writes FILE, one `KEY FIRST_MS COUNT` line per event, and adds `distinct` and `duplicates`
 * (events received more than once, counted each time after the first) to its last line.
 */
const args = process.argv.slice(2);
const latency = args.includes("--latency") ? new Map() : undefined;
const rowsFile = args.includes("--rows") ? args[args.indexOf("--rows") + 1] : undefined;
const rows = rowsFile === undefined ? undefined : new Map();

const onBatch = (events) => {
  const now = Date.now();
  for (const event of events) {
    if (latency) {
      const ms = now - Date.parse(JSON.parse(event).TIMESTAMP_DERIVED);
      latency.set(ms, (latency.get(ms) ?? 0) + 1);
    }
    if (rows) {
      const key = rowKey(event);
      const seen = rows.get(key);
      if (seen === undefined) rows.set(key, { first: now, count: 1 });
      else seen.count++;
    }
  }
};
const intake = await startLocalIntake({ onBatch: latency || rows ? onBatch : undefined });
process.stdout.write(`${intake.url}\n`);
let told = 0;
const progress =
  rows &&
  setInterval(() => {
    if (rows.size === told) return;
    told = rows.size;
    process.stdout.write(`${JSON.stringify({ distinct: told })}\n`);
  }, 500);
process.once("SIGTERM", async () => {
  clearInterval(progress);
  await intake.close();
  let line = latency ? { ...intake.stats, latency: percentiles(latency) } : intake.stats;
  if (rows) {
    const lines = [];
    let duplicates = 0;
    for (const [key, { first, count }] of rows) {
      lines.push(`${key} ${first} ${count}\n`);
      duplicates += count - 1;
    }
    writeFileSync(rowsFile, lines.join(""));
    line = { ...line, distinct: rows.size, duplicates };
  }
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
