import { describe, expect, it } from "vitest";
import type { StatusSnapshot } from "../../src/observability/collector-status.js";
import { escapeHtml, formatLag, renderStatusPage } from "../../src/observability/status-page.js";

const snapshot = (over: Partial<StatusSnapshot> = {}): StatusSnapshot => ({
  generatedAt: "2026-11-20T12:00:00.000Z",
  ready: true,
  org: {
    name: "acme.my.salesforce.com",
    apiRequests: 42,
    apiUsage: { used: 12_000, max: 15_000, ratio: 0.8 },
  },
  sources: [
    {
      id: "event_log_files:hourly",
      running: false,
      lagSeconds: 7980,
      newestPosition: "2026-11-20T09:47:00.000Z",
      eventsPerMinute: [...Array(58).fill(0), 5, 10],
      eventsLastHour: 15,
      lastCycle: { outcome: "ok", endedAt: "2026-11-20T11:59:00.000Z", seconds: 3.2, delivered: 2, rows: 15 },
      deadLetters: 0,
    },
  ],
  outputs: [{ name: "sekoia", state: "ok", eventsDelivered: 15, retries: 0 }],
  ...over,
});

describe("the status page", () => {
  it("says per source the lag, the chart, the last cycle, the API usage and each output", () => {
    const html = renderStatusPage(snapshot());
    expect(html).toContain('<meta http-equiv="refresh" content="10">');
    expect(html).toContain("event_log_files:hourly");
    expect(html).toContain("2h13m");
    expect(html).toContain("12,000 of 15,000 daily requests (80.0%)");
    expect(html).toContain("succeeded</span> at 2026-11-20T11:59:00.000Z in 3.2 s: 2 files, 15 rows");
    // Two bars: the minutes with events; the fuller one reaches the top.
    expect(html.match(/<rect /g)).toHaveLength(2);
    expect(html).toContain('y="0" width="3.5" height="40"><title>10 events, 0 min ago</title>');
    expect(html).toContain("Ready: every source's last cycle succeeded.");
  });

  it("loads nothing from anywhere: no script, no link, no external URL", () => {
    const html = renderStatusPage(snapshot());
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html.match(/(?:src|href)="([^"]*)"/g)).toEqual(['href="/status.json"', 'href="/metrics"']);
  });

  it("escapes every text it shows", () => {
    const evil = `<img src=x onerror="alert('x')">&`;
    const html = renderStatusPage(
      snapshot({
        ready: false,
        reason: evil,
        outputs: [{ name: evil, state: "failing", eventsDelivered: 0, lastError: evil, lastErrorAt: evil }],
      }),
    );
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;");
    expect(escapeHtml(`<>&"'`)).toBe("&lt;&gt;&amp;&quot;&#39;");
  });

  it("says what is not known yet", () => {
    const html = renderStatusPage(snapshot({ sources: [], org: { name: "acme", apiRequests: 0 } }));
    expect(html).toContain("No cycle has started yet.");
    expect(html).toContain("API usage: not known yet");
  });

  it("writes lags for people", () => {
    expect([formatLag(42), formatLag(7980), formatLag(3 * 86_400 + 5 * 3600 + 59)]).toEqual([
      "42s",
      "2h13m",
      "3d5h",
    ]);
  });
});
