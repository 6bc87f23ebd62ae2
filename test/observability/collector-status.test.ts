import { describe, expect, it } from "vitest";
import type { CycleReport } from "../../src/core/cycle.js";
import { OutputError } from "../../src/core/output.js";
import type { WorkUnit } from "../../src/core/source.js";
import { CollectorMetrics } from "../../src/observability/metrics.js";
import { CollectorStatus, type StatusReadings } from "../../src/observability/collector-status.js";
import { secrets } from "../../src/observability/logger.js";
import { sample } from "../integration/watched-collector.js";

const SOURCE = "event_log_files:hourly";
const ORG_NOW = new Date("2026-11-20T12:00:00Z");

function readings(over: Partial<StatusReadings> = {}): StatusReadings {
  return {
    org: "acme.my.salesforce.com",
    orgNow: () => ORG_NOW,
    apiUsage: () => ({ used: 120, max: 15_000 }),
    apiRequests: () => 42,
    newestPosition: async () => "2026-11-20T09:00:00.000+0000",
    outputs: () => [{ name: "sekoia", retries: 3 }, { name: "file" }],
    ...over,
  };
}

/** Lets the state's answers (promises) reach the status. */
const stateAnswered = () => new Promise((resolve) => setImmediate(resolve));

const unit = (position: string) => ({ key: position, position }) as unknown as WorkUnit;
const report = (over: Partial<CycleReport> = {}): CycleReport => ({
  source: SOURCE,
  listed: 2,
  delivered: 2,
  rows: 30,
  repeatedRows: 0,
  deadLetters: 0,
  possibleDuplicates: 0,
  failed: [],
  ...over,
});

describe("the collector's status", () => {
  it("measures the lag from the state's newest unit until a newer one is delivered, by the org's clock", async () => {
    const status = new CollectorStatus(readings());
    expect(status.lagSeconds(SOURCE)).toBeUndefined();
    status.cycleStarted(SOURCE);
    await stateAnswered();
    expect(status.lagSeconds(SOURCE)).toBe(3 * 3600);
    status.unitDelivered(SOURCE, unit("2026-11-20T08:00:00.000Z"), 5); // an older one does not move it
    expect(status.lagSeconds(SOURCE)).toBe(3 * 3600);
    status.unitDelivered(SOURCE, unit("2026-11-20T11:30:00.000Z"), 5);
    expect(status.lagSeconds(SOURCE)).toBe(1800);
  });

  it("is ready during the first cycle and after a good one, not after a failed or partial one", () => {
    const status = new CollectorStatus(readings());
    expect(status.readiness()).toEqual({ ready: true });
    status.cycleStarted(SOURCE);
    expect(status.readiness()).toEqual({ ready: true });
    status.cycleEnded(SOURCE, 1, report());
    expect(status.readiness()).toEqual({ ready: true });
    status.cycleStarted(SOURCE);
    status.cycleEnded(
      SOURCE,
      1,
      report({ failed: [{ unit: "file 0AT1", error: "the download broke off" }] }),
    );
    expect(status.readiness()).toMatchObject({ ready: false });
    expect(status.readiness().reason).toMatch(
      /last cycle of event_log_files:hourly .* left units undelivered: the download broke off/,
    );
    status.cycleStarted(SOURCE);
    status.cycleEnded(SOURCE, 1, undefined, new Error("state disk full"));
    expect(status.readiness().reason).toMatch(/failed: state disk full$/);
    status.cycleStarted(SOURCE);
    status.cycleEnded(SOURCE, 1, report());
    expect(status.readiness()).toEqual({ ready: true });
  });

  it("is not ready while a source cannot be opened", () => {
    const status = new CollectorStatus(readings());
    status.openFailed(new Error("connection refused"));
    expect(status.readiness()).toEqual({
      ready: false,
      reason: "a source could not be opened: connection refused",
    });
    status.cycleStarted(SOURCE);
    expect(status.readiness()).toEqual({ ready: true });
  });

  it("charts the events of the last hour per minute, and keeps each output's state and last error redacted", () => {
    let now = new Date("2026-11-20T12:00:30Z");
    const status = new CollectorStatus(readings(), () => now);
    secrets.add("intake-key-that-must-not-show");
    status.cycleStarted(SOURCE);
    status.unitDelivered(SOURCE, unit("2026-11-20T10:00:00Z"), 7);
    now = new Date("2026-11-20T12:02:10Z");
    status.unitDelivered(SOURCE, unit("2026-11-20T11:00:00Z"), 3);
    status.outputFailed("sekoia", new OutputError("rejected intake-key-that-must-not-show", false));
    status.deadLetterWritten({ reason: "bad row", source: SOURCE, unit: "0AT1", payload: "x" });
    const snapshot = status.snapshot();
    const [source] = snapshot.sources;
    expect(source.eventsPerMinute).toHaveLength(60);
    expect(source.eventsPerMinute.slice(-3)).toEqual([7, 0, 3]);
    expect(source.eventsLastHour).toBe(10);
    expect(source.deadLetters).toBe(1);
    expect(snapshot.org).toEqual({
      name: "acme.my.salesforce.com",
      apiRequests: 42,
      apiUsage: { used: 120, max: 15_000, ratio: 0.008 },
    });
    expect(snapshot.outputs).toEqual([
      {
        name: "sekoia",
        state: "failing",
        eventsDelivered: 10,
        retries: 3,
        lastError: "rejected [REDACTED]",
        lastErrorAt: "2026-11-20T12:02:10.000Z",
      },
      { name: "file", state: "ok", eventsDelivered: 10 },
    ]);
    // An hour later the chart is empty again.
    now = new Date("2026-11-20T13:05:00Z");
    expect(status.snapshot().sources[0].eventsLastHour).toBe(0);
  });
});

describe("the collector's metrics", () => {
  it("counts per org, source and output, and reads the rest when scraped", async () => {
    const read = readings();
    const status = new CollectorStatus(read);
    const metrics = new CollectorMetrics(read, status);
    for (const o of [status, metrics]) o.cycleStarted(SOURCE);
    for (const o of [status, metrics]) o.unitDelivered(SOURCE, unit("2026-11-20T11:00:00Z"), 12);
    metrics.cycleEnded(SOURCE, 2.5, report());
    const gaveUp = new OutputError("retry budget spent", false);
    // Every write rejects with the same failure until the next flush: one error, counted once.
    metrics.outputFailed("sekoia", gaveUp);
    metrics.outputFailed("sekoia", gaveUp);
    metrics.outputFailed("sekoia", new OutputError("intake key rejected", true));
    metrics.deadLetterWritten({ reason: "bad", source: SOURCE, unit: "0AT1", payload: "" });
    const { contentType, body } = await metrics.text();
    expect(contentType).toMatch(/^text\/plain/);
    const labels = { org: "acme.my.salesforce.com", source: SOURCE };
    expect(sample(body, "sfevents_events_delivered_total", { ...labels, output: "sekoia" })).toBe(12);
    expect(sample(body, "sfevents_events_delivered_total", { ...labels, output: "file" })).toBe(12);
    expect(sample(body, "sfevents_units_delivered_total", labels)).toBe(1);
    expect(sample(body, "sfevents_dead_letters_total", labels)).toBe(1);
    expect(sample(body, "sfevents_source_lag_seconds", labels)).toBe(3600);
    expect(sample(body, "sfevents_salesforce_api_requests_total", { org: labels.org })).toBe(42);
    expect(sample(body, "sfevents_salesforce_api_usage_ratio", { org: labels.org })).toBe(0.008);
    expect(
      sample(body, "sfevents_output_errors_total", { org: labels.org, output: "sekoia", reason: "gave_up" }),
    ).toBe(1);
    expect(
      sample(body, "sfevents_output_errors_total", { org: labels.org, output: "sekoia", reason: "fatal" }),
    ).toBe(1);
    expect(sample(body, "sfevents_output_retries_total", { org: labels.org, output: "sekoia" })).toBe(3);
    expect(sample(body, "sfevents_output_retries_total", { output: "file" })).toBeUndefined();
    expect(sample(body, "sfevents_cycle_duration_seconds_sum", labels)).toBe(2.5);
    expect(sample(body, "sfevents_cycle_duration_seconds_bucket", { ...labels, le: "5" })).toBe(1);
    expect(sample(body, "sfevents_cycles_total", { ...labels, outcome: "ok" })).toBe(1);
    expect(body).toContain("# TYPE sfevents_cycle_duration_seconds histogram");
    expect(body).toContain("process_cpu_user_seconds_total");
  });
});

describe("the metrics of several orgs", () => {
  it("name each org on its outputs' series: one customer's failing intake is its own", async () => {
    const metrics = new CollectorMetrics();
    const orgs = ["acme", "globex"].map((org) => {
      const read = readings({ org, outputs: () => [{ name: "sekoia", retries: org === "acme" ? 5 : 0 }] });
      return metrics.addOrg(read, new CollectorStatus(read));
    });
    orgs[0].outputFailed?.("sekoia", new OutputError("intake key rejected", true));
    const { body } = await metrics.text();
    expect(
      sample(body, "sfevents_output_errors_total", { org: "acme", output: "sekoia", reason: "fatal" }),
    ).toBe(1);
    expect(sample(body, "sfevents_output_errors_total", { org: "globex" })).toBeUndefined();
    expect(sample(body, "sfevents_output_retries_total", { org: "acme", output: "sekoia" })).toBe(5);
    expect(sample(body, "sfevents_output_retries_total", { org: "globex", output: "sekoia" })).toBe(0);
  });
});
