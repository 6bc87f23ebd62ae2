/**
 * The figures of a scenario: medians over its runs, the ratio to its baseline, and the targets it is
 * judged by. One JSON object per line as each scenario ends, then a table of every target.
 */

const MIB = 1024 * 1024;

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The run of median duration stands for the scenario (its rows, bytes and CPU times go together);
 * peak RSS is the highest of all runs, since a memory bound must hold on every run.
 */
export function medianRun(runs) {
  const seconds = median(runs.map((r) => r.seconds));
  const closest = runs.reduce((a, b) =>
    Math.abs(b.seconds - seconds) < Math.abs(a.seconds - seconds) ? b : a,
  );
  return {
    ...closest,
    seconds,
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    allSeconds: runs.map((r) => round(r.seconds, 2)),
  };
}

/** The common fields of a throughput scenario's line. */
export function throughput(scenario, run, extra = {}) {
  return {
    scenario,
    rows: run.rows,
    bytes: run.bytes,
    seconds: round(run.seconds, 2),
    rows_per_s: Math.round(run.rows / run.seconds),
    mib_per_s: round(run.bytes / MIB / run.seconds, 1),
    peak_rss_mb: round(run.peakRssMb, 1),
    runs: run.allSeconds,
    ...extra,
  };
}

/** Adds `baseline`, its rows/s, the ratio and whether `minRatio` is met. */
export function against(line, baselineLine, minRatio) {
  if (baselineLine === undefined || baselineLine.rows_per_s === undefined) {
    return { ...line, target: `≥ ${minRatio} of ${baselineLine?.scenario ?? "its baseline"}`, met: null };
  }
  const ratio = round(line.rows_per_s / baselineLine.rows_per_s, 3);
  return {
    ...line,
    baseline: baselineLine.scenario,
    baseline_rows_per_s: baselineLine.rows_per_s,
    // Earlier than this line when the baseline was not run this time (see .bench/results.json).
    baseline_measured_at: baselineLine.measured_at,
    ratio,
    target: `≥ ${minRatio} of ${baselineLine.scenario}`,
    met: ratio >= minRatio,
  };
}

/** Adds the peak-RSS bound a scenario is held to. */
export function rssBound(line, maxMb) {
  return { ...line, rss_target: `< ${maxMb} MB`, rss_met: line.peak_rss_mb < maxMb };
}

export function round(n, digits) {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Every target of every line, one row each, and the figure it is judged by. */
export function table(lines) {
  const rows = [["scenario", "figure", "value", "target", "met"]];
  for (const line of lines) {
    if (line.error !== undefined) {
      rows.push([line.scenario, "error", line.error.split("\n")[0].slice(0, 60), "", "FAILED"]);
      continue;
    }
    if (line.skipped !== undefined) {
      rows.push([line.scenario, "skipped", line.skipped.slice(0, 60), "", "n/a"]);
      continue;
    }
    // A scenario that counts rows but not bytes (collect-objects-burst) has no MiB/s to show.
    const mibPerS = line.mib_per_s === undefined ? "" : `${line.mib_per_s} MiB/s`;
    const speed =
      line.files_per_s !== undefined
        ? `${line.files_per_s} files/s`
        : line.rows_per_s !== undefined
          ? [`${line.rows_per_s.toLocaleString("en-US")} rows/s`, mibPerS].filter(Boolean).join(", ")
          : mibPerS;
    if (line.target !== undefined) {
      const value = line.ratio !== undefined ? `${line.ratio} (${speed})` : (line.limit ?? speed);
      rows.push([
        line.scenario,
        line.limit !== undefined ? "limit" : line.ratio !== undefined ? "ratio" : "speed",
        value,
        line.target,
        verdict(line.met),
      ]);
    } else {
      rows.push([line.scenario, "speed", speed, line.parser ? `baseline (${line.parser})` : "", ""]);
    }
    if (line.rss_target !== undefined) {
      rows.push([
        line.scenario,
        "peak RSS",
        `${line.peak_rss_mb} MB`,
        line.rss_target,
        verdict(line.rss_met),
      ]);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const format = (r) =>
    r
      .map((cell, c) => String(cell).padEnd(widths[c]))
      .join("  ")
      .trimEnd();
  return [format(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(format)].join(
    "\n",
  );
}

function verdict(met) {
  return met === true ? "yes" : met === false ? "NO" : "n/a";
}
