import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { GENERATORS } from "../../dist/simulator/org/generators.js";
import { SimulatedOrg } from "../../dist/simulator/org/index.js";
import { DAY_MS, startOfDay } from "../../dist/simulator/org/volume.js";

/**
 * The Event Log Files the replay scenarios read: one daily file per event type the simulator can
 * generate, with the types' real columns and values (quoted line breaks in stack traces, doubled
 * quotes), sizes adding up to the requested total. Written once under .bench/, keyed by seed and
 * size; a manifest written last marks a complete set, so an interrupted run regenerates.
 */

export const BENCH_DIR = fileURLToPath(new URL("../../.bench/", import.meta.url));
/** A fixed "now" for the files, so the same seed and size always give the same bytes. */
const FILES_START = new Date("2026-03-11T15:00:00Z");

export function eventTypes() {
  return Object.keys(GENERATORS);
}

/** Splits `total` bytes into `parts` sizes that differ by at most one byte. */
export function split(total, parts) {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/** { dir, files: [{ name, path, eventType, bytes }], bytes }, generated on the first call for this seed and size. */
export async function replayFiles(seed, bytes, log) {
  const dir = join(BENCH_DIR, `replay-seed${seed}-${bytes}`);
  const manifestPath = join(dir, "manifest.json");
  if (existsSync(manifestPath)) return located(dir, JSON.parse(readFileSync(manifestPath, "utf8")));

  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const types = eventTypes();
  const sizes = split(bytes, types.length);
  const org = new SimulatedOrg({
    seed,
    start: FILES_START,
    days: 1,
    hourly: false,
    retentionDays: 30,
    eventTypes: types,
    largeFiles: types.map((eventType, i) => ({ eventType, bytes: sizes[i], interval: "Daily" })),
    apiVersion: "64.0",
  });
  // A declared daily file takes the most recent day already out, in place of that day's usual file.
  const day = startOfDay(FILES_START.getTime()) - DAY_MS;
  const entries = org.files(FILES_START).filter((f) => f.LogDate === day);
  log(`generating ${types.length} Event Log Files, ${(bytes / 1024 ** 3).toFixed(2)} GiB in all, in ${dir}`);
  const started = performance.now();
  const files = [];
  for (const entry of entries) {
    // Named after the event type, the way replay recognises it.
    const path = join(dir, `${entry.EventType}.csv`);
    await pipeline(org.body(entry), createWriteStream(`${path}.part`));
    renameSync(`${path}.part`, path);
    files.push({ name: `${entry.EventType}.csv`, eventType: entry.EventType, bytes: entry.LogFileLength });
  }
  const manifest = { files, bytes: files.reduce((sum, f) => sum + f.bytes, 0) };
  if (manifest.bytes !== bytes || files.length !== types.length) {
    throw new Error(
      `generated ${files.length} files of ${manifest.bytes} bytes, expected ${types.length} of ${bytes}`,
    );
  }
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  log(`generated in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return located(dir, manifest);
}

/** The manifest names files relative to its folder, so a moved checkout keeps its cache. */
function located(dir, manifest) {
  return {
    dir,
    bytes: manifest.bytes,
    files: manifest.files.map((f) => ({ ...f, path: join(dir, f.name) })),
  };
}
