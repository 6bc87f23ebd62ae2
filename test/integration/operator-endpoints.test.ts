import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StatusSnapshot } from "../../src/observability/collector-status.js";
import { type LocalIntake, startLocalIntake } from "../../src/simulator/sekoia-intake.js";
import { startSimulator } from "../../src/simulator/server/index.js";
import { logLines } from "../faults/support.js";
import { readNdjson, runCli, soql, tempDir, writeConfig } from "./harness.js";
import { sample, startWatchedCollector, WATCHED_INTAKE_KEY } from "./watched-collector.js";

type Org = Awaited<ReturnType<typeof startSimulator>>;

/** A day of a small org, its clock frozen: the files and the org's now are the same on every run. */
const ORG = { seed: 11, days: 1, clock: { running: false } };
const SOURCE = "event_log_files:hourly";

describe("metrics, probes and status of a running collector (metrics.listen)", () => {
  let org: Org;
  let intake: LocalIntake;
  let dir: ReturnType<typeof tempDir>;

  beforeEach(async () => {
    dir = tempDir("operator");
    org = await startSimulator(ORG);
    intake = await startLocalIntake({ intakeKey: WATCHED_INTAKE_KEY, keepEvents: true });
  });
  afterEach(async () => {
    await intake.close();
    await org.close();
    dir.remove();
  });

  it("counts in /metrics what the intake and the file received, the files, the lag and the API usage", async () => {
    const collector = await startWatchedCollector({ dir: dir.path, org, intake });
    await collector.cycles(1);
    const scrape = await fetch(`${collector.url}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await scrape.text();
    const health = await fetch(`${collector.url}/healthz`);
    const ready = await fetch(`${collector.url}/readyz`);
    const status = (await (await fetch(`${collector.url}/status.json`)).json()) as StatusSnapshot;
    const stats = (await (await fetch(`${org.url}/__sim/stats`)).json()) as {
      time: string;
      apiUsage: { used: number; max: number };
    };
    const run = await collector.stop();
    expect(run.code, run.stderr.slice(-2000)).toBe(0);

    const labels = { org: collector.org, source: SOURCE };
    const files = await soql<{ Id: string; CreatedDate: string }>(
      org,
      "SELECT Id, CreatedDate FROM EventLogFile WHERE Interval = 'Hourly' AND EventType IN ('Login', 'API')",
    );
    const fileLines = readNdjson(join(dir.path, "out", "events.ndjson")).length;
    expect(intake.events.length).toBeGreaterThan(50);
    expect(fileLines).toBe(intake.events.length);
    expect(sample(text, "sfevents_events_delivered_total", { ...labels, output: "sekoia" })).toBe(
      intake.events.length,
    );
    expect(sample(text, "sfevents_events_delivered_total", { ...labels, output: "file" })).toBe(fileLines);
    expect(sample(text, "sfevents_units_delivered_total", labels)).toBe(files.length);
    expect(sample(text, "sfevents_dead_letters_total", labels)).toBe(0);
    expect(sample(text, "sfevents_cycle_duration_seconds_count", labels)).toBe(1);
    expect(sample(text, "sfevents_cycles_total", { ...labels, outcome: "ok" })).toBe(1);
    expect(sample(text, "sfevents_output_retries_total", { org: collector.org, output: "sekoia" })).toBe(0);
    expect(sample(text, "sfevents_output_errors_total")).toBeUndefined();
    // Every REST call spends one request of the org's allowance; the token grant spends none.
    expect(sample(text, "sfevents_salesforce_api_requests_total", { org: collector.org })).toBe(
      stats.apiUsage.used,
    );
    expect(sample(text, "sfevents_salesforce_api_usage_ratio", { org: collector.org })).toBeCloseTo(
      stats.apiUsage.used / stats.apiUsage.max,
      9,
    );
    // The org's clock is frozen: its now minus the newest file's CreatedDate, to the Date header's second
    // (and the moments between the scrape and the read of the org's clock).
    const newest = Math.max(...files.map((f) => Date.parse(f.CreatedDate)));
    const lag = sample(text, "sfevents_source_lag_seconds", labels);
    expect(lag).toBeDefined();
    expect(Math.abs(lag! - (Date.parse(stats.time) - newest) / 1000)).toBeLessThanOrEqual(2);
    expect(sample(text, "process_cpu_seconds_total")).toBeGreaterThan(0);

    expect(health.status).toBe(200);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true });

    expect(status.ready).toBe(true);
    expect(status.org).toMatchObject({ name: collector.org, apiRequests: stats.apiUsage.used });
    expect(status.org.apiUsage?.max).toBe(stats.apiUsage.max);
    expect(status.sources).toHaveLength(1);
    const [source] = status.sources;
    expect(source).toMatchObject({ id: SOURCE, running: false, deadLetters: 0 });
    expect(source.lastCycle).toMatchObject({
      outcome: "ok",
      delivered: files.length,
      rows: intake.events.length,
    });
    expect(source.eventsLastHour).toBe(intake.events.length);
    // The org's now runs on between two answers (this host's clock, offset by the org's Date header).
    expect(Math.abs(source.lagSeconds! - lag!)).toBeLessThanOrEqual(2);
    expect(status.outputs).toEqual([
      { name: "sekoia", state: "ok", eventsDelivered: intake.events.length, retries: 0 },
      { name: "file", state: "ok", eventsDelivered: fileLines },
    ]);
    // The summary line carries the lag and the API usage too.
    const summary = logLines(run.stderr).find((l) => l.msg.startsWith("cycle done"));
    expect(summary?.msg).toMatch(/; lag \d+[dhms]/);
    expect(summary?.msg).toContain(
      `; API usage ${stats.apiUsage.used}/${stats.apiUsage.max.toLocaleString("en-US")}`,
    );
    // The endpoints closed with the collector.
    await expect(fetch(`${collector.url}/healthz`)).rejects.toThrow();
  });

  it("answers /readyz 503 with the reason after a cycle whose output failed, and counts the output's errors", async () => {
    intake.failNext(503, 1_000_000);
    const collector = await startWatchedCollector({
      dir: dir.path,
      org,
      intake,
      sekoia: { retry_budget: "1s" },
    });
    await collector.cycles(1);
    const ready = await fetch(`${collector.url}/readyz`);
    const health = await fetch(`${collector.url}/healthz`);
    const text = await (await fetch(`${collector.url}/metrics`)).text();
    const status = (await (await fetch(`${collector.url}/status.json`)).json()) as StatusSnapshot;
    await collector.stop();

    expect(health.status).toBe(200);
    expect(ready.status).toBe(503);
    const reason = (await ready.json()) as { ready: boolean; reason: string };
    expect(reason.ready).toBe(false);
    expect(reason.reason).toContain(`the last cycle of ${SOURCE}`);
    expect(reason.reason).toContain("Sekoia.io intake did not accept a batch within the retry budget");
    expect(
      sample(text, "sfevents_output_errors_total", {
        org: collector.org,
        output: "sekoia",
        reason: "gave_up",
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, "sfevents_output_retries_total", { org: collector.org, output: "sekoia" }),
    ).toBeGreaterThan(0);
    expect(sample(text, "sfevents_units_delivered_total", { org: collector.org, source: SOURCE })).toBe(0);
    expect(sample(text, "sfevents_cycles_total", { source: SOURCE, outcome: "partial" })).toBe(1);
    expect(status.ready).toBe(false);
    expect(status.sources[0].lastCycle?.outcome).toBe("partial");
    expect(status.outputs[0]).toMatchObject({ name: "sekoia", state: "failing" });
    expect(status.outputs[0].lastError).toContain("retry budget");
    expect(JSON.stringify(status)).not.toContain(WATCHED_INTAKE_KEY);
    expect(JSON.stringify(status)).not.toContain(org.clientSecret);
  });

  it("stops at start with the key to change when metrics.listen's port is taken", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const config = writeConfig(dir.path, {
        salesforce: { url: org.url, client_id: org.clientId, client_secret: "${SF_SECRET}" },
        outputs: { file: { path: join(dir.path, "out.ndjson") } },
        state: { path: join(dir.path, "state.sqlite") },
        metrics: { listen: `127.0.0.1:${port}` },
      });
      const run = await runCli(["collect", "--config", config], { SF_SECRET: org.clientSecret });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `metrics.listen: cannot listen on 127.0.0.1:${port}, another process already uses that port`,
      );
      expect(run.stderr).not.toMatch(/^\s+at /m);
      // Nothing was collected: the port is checked before the first cycle.
      expect(readNdjson(join(dir.path, "out.ndjson"))).toEqual([]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
