import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/simulator/server/index.js";
import { FakeIntake } from "../support/intake.js";
import { runCli, tempDir, writeConfig } from "./harness.js";

type Org = Awaited<ReturnType<typeof startSimulator>>;
const INTAKE_KEY = "check-intake-key";

describe("sfevents check", () => {
  let org: Org | undefined;
  let intake: FakeIntake;
  let dir: ReturnType<typeof tempDir>;

  beforeEach(async () => {
    dir = tempDir("check");
    intake = await FakeIntake.start({ intakeKey: INTAKE_KEY });
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
      state: { path: join(dir.path, "var", "state.sqlite") },
      dead_letters: { path: join(dir.path, "var", "dead-letters.ndjson") },
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
    // A check changes nothing: no state file, no output folder, nothing in the intake.
    expect(existsSync(join(dir.path, "var"))).toBe(false);
    expect(existsSync(join(dir.path, "out"))).toBe(false);
  });

  it("marks what it could not check after a token failure as skipped, and says each fix once", async () => {
    org = await startSimulator({ seed: 3, days: 1 });
    const run = await check(org, { secret: "not-the-secret" });
    expect(run.code).toBe(1);
    for (const title of ["Event Log File access", "Hourly Event Log Files", "Event types in the last 24 h"])
      expect(run.stdout).toMatch(new RegExp(`^- ${title}: skipped`, "m"));
    const fix = /^ {4}fix: (.+)$/m.exec(run.stdout)?.[1];
    expect(fix).toBeDefined();
    expect(run.stdout.split(fix!).length - 1, run.stdout).toBe(1);
  });

  it("reads an existing state as it is: an older one is reported, not upgraded", async () => {
    org = await startSimulator({ seed: 3, days: 1 });
    const path = join(dir.path, "var", "state.sqlite");
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.exec(readFileSync(new URL("../state/fixtures/state-0.1.sql", import.meta.url), "utf8"));
    db.close();
    const run = await check(org);
    expect(run.stdout).toMatch(/^✓ State: .*schema version 3.*upgrades it in place/m);
    const after = new Database(path, { readonly: true });
    expect(after.prepare("SELECT version FROM schema_version").pluck().get()).toBe(3);
    after.close();
  });

  it("says the API allowance is spent, not that a permission is missing", async () => {
    org = await startSimulator({ seed: 3, days: 1, api: { daily_limit: 5000 } });
    await fetch(`${org.url}/__sim/api-usage`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ used: 5000 }),
    });
    const run = await check(org);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^✗ Event Log File access: .*REQUEST_LIMIT_EXCEEDED/m);
    expect(run.stdout).toMatch(/allowance .*spent/i);
    expect(run.stdout).toMatch(/24 hours/);
    expect(run.stdout).not.toMatch(/permission/i);
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

  it("checks each org of a configuration that lists several, each finding prefixed by its org", async () => {
    org = await startSimulator({ seed: 3, days: 1 });
    const orgsDir = join(dir.path, "orgs.d");
    mkdirSync(orgsDir);
    writeFileSync(join(orgsDir, "initech.yaml"), "salesforce: { url: https://initech.my.salesforce.com }\n");
    const entry = (name: string, secret: string) => ({
      name,
      salesforce: { url: org?.url, client_id: org?.clientId, client_secret: secret },
    });
    const path = writeConfig(dir.path, {
      defaults: { outputs: { sekoia: { url: intake.url, intake_key: INTAKE_KEY } } },
      orgs: [entry("acme", org.clientSecret), entry("globex", "not-the-secret")],
      orgs_dir: orgsDir,
      state: { path: join(dir.path, "var", "state.sqlite") },
    });
    const run = await runCli(["check", "--config", path]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^✓ acme: Salesforce token: /m);
    expect(run.stdout).toMatch(/^✓ acme: Sekoia.io intake: /m);
    expect(run.stdout).toMatch(/^✗ globex: Salesforce token: .*invalid_client/m);
    expect(run.stdout).toMatch(/^✓ globex: Sekoia.io intake: /m);
    expect(run.stdout).toMatch(/^✗ .*initech\.yaml: .*salesforce\.client_id: is required/ms);
    expect(run.stdout).toMatch(/^✓ State: /m);
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
      // What it wrote, the state included, and a next step that works right after `npm ci`.
      expect(run.stdout).toContain(join(dir.path, "demo-state.sqlite"));
      expect(existsSync(join(dir.path, "demo-state.sqlite"))).toBe(true);
      expect(run.stdout).toMatch(/^Next: .*`npx sfevents simulate`/m);
      expect(run.stdout).not.toMatch(/(?<!npx )`sfevents /);
    } finally {
      dir.remove();
    }
  });
});
