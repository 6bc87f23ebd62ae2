import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collectorConfig, collectorEnv, deliveredFiles, useFrozenOrg, waitFor } from "../faults/support.js";
import { runCli, soql, startCli } from "../integration/harness.js";

/** `sfevents state show` and `state rewind` on a real state file, written by a real collection. */
describe("sfevents state", () => {
  const shared = useFrozenOrg(8, "state-commands");
  const EVENT_TYPES = ["Login", "URI"];

  it("shows each source's checkpoint and delivered units, and rewinds one only with --yes", async () => {
    const { org, intake, dir } = shared;
    const config = collectorConfig({ dir, org, intake, eventTypes: EVENT_TYPES });
    const env = collectorEnv(org);
    const state = join(dir, "state.sqlite");
    expect((await runCli(["collect", "--once", "--config", config], env)).code).toBe(0);
    const files = await soql<{ Id: string; CreatedDate: string }>(
      org,
      "SELECT Id, CreatedDate FROM EventLogFile WHERE Interval = 'Hourly' AND EventType IN ('Login', 'URI')",
    );

    const show = await runCli(["state", "show", "--config", config]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/^event_log_files:hourly$/m);
    expect(show.stdout).toMatch(new RegExp(`delivered {9}${files.length} units`));
    const json = JSON.parse((await runCli(["state", "show", "--config", config, "--json"])).stdout);
    expect(json.sources[0]).toMatchObject({ source: "event_log_files:hourly", units: files.length });

    const to = "2026-11-20T06:00:00Z";
    const later = files.filter((f) => Date.parse(f.CreatedDate) >= Date.parse(to));
    expect(later.length).toBeGreaterThan(0);
    const args = ["state", "rewind", "--config", config, "--source", "event_log_files:hourly", "--to", to];
    const dry = await runCli(args);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`Would event_log_files:hourly: forget ${later.length} delivered files`);
    expect(deliveredFiles(state).size).toBe(files.length);

    const done = await runCli([...args, "--yes"]);
    expect(done.code, done.stderr).toBe(0);
    expect(deliveredFiles(state).size).toBe(files.length - later.length);

    const before = intake.events.length;
    expect((await runCli(["collect", "--once", "--config", config], env)).code).toBe(0);
    expect(deliveredFiles(state).size).toBe(files.length);
    expect(intake.events.length).toBeGreaterThan(before);
  });

  it("refuses to rewind, or to show, while a collector holds the state", async () => {
    const { org, intake, dir } = shared;
    const config = collectorConfig({ dir, org, intake, eventTypes: EVENT_TYPES, pollEvery: "1h" });
    const { child, done } = startCli(["collect", "--config", config], collectorEnv(org));
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    try {
      await waitFor(() => stderr.includes("cycle done"), 60_000, "a first cycle");
      const run = await runCli([
        "state",
        "rewind",
        "--config",
        config,
        "--source",
        "event_log_files:hourly",
        "--to",
        "2026-11-20T00:00:00Z",
        "--yes",
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/locked by another process: is another sfevents collector running/);
      // The collector holds its state exclusively: show says so rather than read half a picture.
      const show = await runCli(["state", "show", "--config", config]);
      expect(show.code).toBe(1);
      expect(show.stderr).toMatch(/locked by another process/);
    } finally {
      child.kill("SIGTERM");
      await done;
    }
  });
});
