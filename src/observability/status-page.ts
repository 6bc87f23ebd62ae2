import { formatDuration } from "../core/duration.js";
import type { CycleOutcome, SourceStatus, StatusSnapshot } from "./collector-status.js";

/** How often the page reloads itself, in seconds. */
export const REFRESH_SECONDS = 10;

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text made safe for HTML content and quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** A lag for people: seconds under a minute, minutes under a day ("2h13m"), hours beyond. */
export function formatLag(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 86_400) return formatDuration(Math.floor(s / 60) * 60_000);
  return formatDuration(Math.floor(s / 3600) * 3_600_000);
}

/**
 * The status page: one self-contained HTML document (no script, no external asset, so it works
 * offline and under a Content-Security-Policy of 'none'), reloading itself. Everything shown comes
 * from the snapshot, escaped; the snapshot holds no secret (error texts are redacted).
 */
export function renderStatusPage(status: StatusSnapshot): string {
  return page(status.org.name, orgStatus(status));
}

/** The page of a process collecting several orgs: each org's status, one after the other. */
export function renderOrgsStatusPage(orgs: readonly StatusSnapshot[]): string {
  const body =
    orgs.length === 0
      ? "<h1>sfevents</h1>\n<p>No org runs yet.</p>\n"
      : orgs.map((status) => `<section data-testid="org-status">\n${orgStatus(status)}</section>\n`).join("");
  return page(`${orgs.length} orgs`, body);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="${REFRESH_SECONDS}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sfevents: ${escapeHtml(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1d2733; background: #fff; }
h1 { font-size: 1.4em; margin: 0 0 .2em; } h2 { font-size: 1.1em; margin: 1.4em 0 .4em; }
.muted { color: #5b6776; } .banner { padding: .5em .8em; border-radius: 4px; }
.ok { background: #e3f4e6; } .bad { background: #fbe4e2; } .warn { background: #fff3d6; }
table { border-collapse: collapse; } th, td { text-align: left; padding: .35em .8em .35em 0; vertical-align: top; border-bottom: 1px solid #e4e8ec; }
th { font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
svg.chart { display: block; background: #f4f6f8; } svg.chart rect { fill: #3b7dd8; }
.error { color: #a3261b; max-width: 40em; overflow-wrap: anywhere; }
</style>
</head>
<body>
${body}</body>
</html>
`;
}

/** One org's part of the page: readiness, API usage, sources, outputs. */
function orgStatus(status: StatusSnapshot): string {
  const usage = status.org.apiUsage;
  const readiness = status.ready
    ? `<p class="banner ok" data-testid="readiness">Ready: every source's last cycle succeeded.</p>`
    : `<p class="banner bad" data-testid="readiness">Not ready: ${escapeHtml(status.reason ?? "")}</p>`;
  return `<h1>sfevents: <span data-testid="org">${escapeHtml(status.org.name)}</span></h1>
<p class="muted">As of ${escapeHtml(status.generatedAt)}; this page reloads every ${REFRESH_SECONDS} s. JSON: <a href="/status.json">/status.json</a>, metrics: <a href="/metrics">/metrics</a>.</p>
${readiness}
<h2>Salesforce API</h2>
<p data-testid="api-usage">${
    usage === undefined
      ? "API usage: not known yet (no answer from the org carried it)."
      : `API usage: ${escapeHtml(usage.used.toLocaleString("en-US"))} of ${escapeHtml(usage.max.toLocaleString("en-US"))} daily requests (${escapeHtml((usage.ratio * 100).toFixed(1))}%).`
  } ${escapeHtml(status.org.apiRequests.toLocaleString("en-US"))} requests sent by this collector since it started.</p>
<h2>Sources</h2>
${status.sources.length === 0 ? `<p>No cycle has started yet.</p>` : sourcesTable(status.sources)}
<h2>Outputs</h2>
<table data-testid="outputs">
<tr><th>output</th><th>state</th><th>events delivered</th><th>retries</th><th>last error</th></tr>
${status.outputs
  .map(
    (o) =>
      `<tr><td>${escapeHtml(o.name)}</td><td class="${o.state === "failing" ? "bad" : o.state === "ok" ? "ok" : ""}">${escapeHtml(o.state)}</td><td class="num">${escapeHtml(o.eventsDelivered.toLocaleString("en-US"))}</td><td class="num">${o.retries === undefined ? "—" : escapeHtml(o.retries)}</td>${o.lastError === undefined ? `<td class="muted">none</td>` : `<td class="error">${escapeHtml(o.lastError)} <span class="muted">(${escapeHtml(o.lastErrorAt ?? "")})</span></td>`}</tr>`,
  )
  .join("\n")}
</table>
`;
}

function sourcesTable(sources: SourceStatus[]): string {
  const rows = sources.map(
    (s) => `<tr data-testid="source">
<td><strong>${escapeHtml(s.id)}</strong>${s.running ? ` <span class="muted">(cycle running)</span>` : ""}</td>
<td data-testid="lag">${s.lagSeconds === undefined ? "not known yet" : `${escapeHtml(formatLag(s.lagSeconds))} <span class="muted">(newest file ${escapeHtml(s.newestPosition ?? "")})</span>`}</td>
<td>${chart(s.eventsPerMinute)}<span class="muted">${escapeHtml(s.eventsLastHour.toLocaleString("en-US"))} events in the last hour</span></td>
<td>${lastCycle(s.lastCycle)}</td>
<td class="num${s.deadLetters > 0 ? " warn" : ""}">${escapeHtml(s.deadLetters.toLocaleString("en-US"))}</td>
</tr>`,
  );
  return `<table data-testid="sources">
<tr><th>source</th><th>lag</th><th>events per minute, last hour</th><th>last cycle</th><th>dead letters</th></tr>
${rows.join("\n")}
</table>`;
}

function lastCycle(cycle: CycleOutcome | undefined): string {
  if (cycle === undefined) return "first cycle under way";
  const outcome =
    cycle.outcome === "ok"
      ? "succeeded"
      : cycle.outcome === "partial"
        ? "left files for the next cycle"
        : "failed";
  return `<span class="${cycle.outcome === "ok" ? "ok" : "bad"}">${escapeHtml(outcome)}</span> at ${escapeHtml(cycle.endedAt)} in ${escapeHtml(cycle.seconds.toFixed(1))} s: ${escapeHtml(cycle.delivered.toLocaleString("en-US"))} files, ${escapeHtml(cycle.rows.toLocaleString("en-US"))} rows${cycle.error === undefined ? "" : `<div class="error">${escapeHtml(cycle.error)}</div>`}`;
}

const CHART_WIDTH = 240;
const CHART_HEIGHT = 40;

/** Events per minute as bars, the oldest minute on the left; each bar says its count on hover. */
function chart(perMinute: number[]): string {
  const max = Math.max(1, ...perMinute);
  const width = CHART_WIDTH / perMinute.length;
  const bars = perMinute
    .map((n, i) => {
      if (n === 0) return "";
      const height = Math.max(1, Math.round((n / max) * CHART_HEIGHT));
      const ago = perMinute.length - 1 - i;
      return `<rect x="${(i * width).toFixed(1)}" y="${CHART_HEIGHT - height}" width="${(width - 0.5).toFixed(1)}" height="${height}"><title>${escapeHtml(`${n} events, ${ago} min ago`)}</title></rect>`;
    })
    .join("");
  return `<svg class="chart" data-testid="chart" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" role="img" aria-label="events per minute over the last hour">${bars}</svg>`;
}
