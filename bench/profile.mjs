import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where the time went in a V8 CPU profile (`node --cpu-prof`, or a run with BENCH_PROFILE=1): the
 * functions with the most self time, i.e. time spent in their own code rather than in what they
 * call. Usage: node bench/profile.mjs FILE.cpuprofile [how many, default 15]
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map();
  let all = 0;
  // samples[i] was taken timeDeltas[i + 1] microseconds before the next one: that time is its node's.
  for (let i = 0; i < profile.samples.length; i++) {
    const micros = profile.timeDeltas[i + 1] ?? 0;
    const { functionName, url, lineNumber } = byId.get(profile.samples[i]).callFrame;
    const where =
      url === ""
        ? ""
        : `${url.startsWith("file://") ? relative(ROOT, fileURLToPath(url)) : url}:${lineNumber + 1}`;
    const key = `${functionName || "(anonymous)"} ${where}`.trim();
    totals.set(key, (totals.get(key) ?? 0) + micros);
    all += micros;
  }
  return { all, top: [...totals].sort((a, b) => b[1] - a[1]) };
}

export function summary(path, count = 15) {
  const { all, top } = selfTimes(JSON.parse(readFileSync(path, "utf8")));
  const lines = top
    .slice(0, count)
    .map(
      ([name, micros]) =>
        `${((100 * micros) / all).toFixed(1).padStart(5)}%  ${(micros / 1e6).toFixed(2).padStart(7)} s  ${name}`,
    );
  return [`${path}: ${(all / 1e6).toFixed(1)} s sampled`, "  self   time      function", ...lines].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [path, count] = process.argv.slice(2);
  if (path === undefined) {
    process.stderr.write("usage: node bench/profile.mjs FILE.cpuprofile [how many]\n");
    process.exit(2);
  }
  process.stdout.write(`${summary(path, count === undefined ? 15 : Number(count))}\n`);
}
