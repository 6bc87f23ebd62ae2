import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/simulator/server/index.js";
import { type LocalIntake, startLocalIntake } from "../../src/simulator/sekoia-intake.js";
import { runCli, tempDir, writeConfig } from "./harness.js";

type Org = Awaited<ReturnType<typeof startSimulator>>;
const INTAKE_KEY = "check-intake-key";

describe("sfevents check", () => {
  let org: Org | undefined;
  let intake: LocalIntake;
  let dir: ReturnType<typeof tempDir>;

  beforeEach(async () => {
    dir = tempDir("check");
    intake = await startLocalIntake({ intakeKey: INTAKE_KEY });
  });
  afterEach(async () => {
    await intake.close();
    await org?.close();
    org = undefined;
    dir.remove();
  });

  function check(o: Org, overrides: { secret?: string; key?: string; interval?: string } = {}) {
    const path = writeConfig(dir.path, {
      salesforce: { url: o.url, client_id: o.clientId, client_secret: overrides.secret ?? o.clientSecret },
      event_log_files: { interval: overrides.interval ?? "auto" },
      outputs: {
        sekoia: { url: intake.url, intake_key: overrides.key ?? INTAKE_KEY },
        file: { path: join(dir.path, "out", "events.ndjson") },
      },
      state: { path: join(dir.path, "state.sqlite") },
    });
    return runCli(["check", "--config", path]);
  }

  it("passes every check on a healthy org and intake", async () => {
    org = await startSimulator({ seed: 3, days: 1 });
    const run = await check(org);
    expect(run.code).toBe(0);
    for (const title of [
      "Salesforce token",
      "Event Log File access",
      "Hourly Event Log Files",
      "Event types in the last 24 h",
      "API usage",
      "Sekoia.io intake",
      "File output",
      "State",
    ]) {
      expect(run.stdout).toMatch(new RegExp(`^✓ ${title}: `, "m"));
    }
    expect(run.stdout).toMatch(/Event types in the last 24 h: .*Login \(\d+\)/);
    expect(run.stdout).toContain("Ready:");
  });

  it("explains a wrong consumer secret and exits non-zero", async () => {
    org = await startSimulator({ seed: 3, days: 1 });
    const run = await check(org, { secret: "not-the-secret" });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^✗ Salesforce token: .*invalid_client/m);
    expect(run.stdout).toMatch(/fix: .*secret/i);
    expect(run.stdout).not.toContain("not-the-secret");
  });

  it("fails hourly on a daily-only org with the way to enable it, and a rejected intake key", async () => {
    org = await startSimulator({ seed: 3, days: 1, org: { hourly: false } });
    const run = await check(org, { interval: "hourly", key: "wrong-intake-key" });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^✗ Hourly Event Log Files: not enabled in this org/m);
    expect(run.stdout).toContain("Event Monitoring Settings");
    expect(run.stdout).toMatch(/^✗ Sekoia.io intake: /m);
    expect(run.stdout).not.toContain("wrong-intake-key");
  });

  it("names the key of a configuration mistake", async () => {
    const path = writeConfig(dir.path, { salesforce: { url: "https://a.my.salesforce.com" }, outputs: {} });
    const run = await runCli(["check", "--config", path]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^✗ Configuration: .*salesforce\.client_id/ms);
  });
});

describe("sfevents demo", () => {
  it("collects a simulated org into the output folder through both outputs", async () => {
    const dir = tempDir("demo");
    try {
      const run = await runCli(["demo", "--out", dir.path, "--days", "1"]);
      expect(run.code).toBe(0);
      const rows = Number(
        /Collected \d+ hourly Event Log Files, ([\d,]+) rows/.exec(run.stdout)?.[1].replace(/,/g, ""),
      );
      expect(rows).toBeGreaterThan(100);
      const { readNdjson } = await import("./harness.js");
      expect(readNdjson(join(dir.path, "salesforce-events.ndjson"))).toHaveLength(rows);
      expect(readNdjson(join(dir.path, "sekoia-intake.ndjson"))).toHaveLength(rows);
    } finally {
      dir.remove();
    }
  });
});
