import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/simulator/server/index.js";
import { logLines } from "../faults/support.js";
import { FakeIntake } from "../support/intake.js";
import { expectedEvents, runCli, startCli, tally, tempDir, writeConfig } from "./harness.js";

type Org = Awaited<ReturnType<typeof startSimulator>>;

/** Two small orgs with different data, their clocks frozen so that a run sees all there is. */
const ACME = { seed: 7, days: 1, clock: { running: false } };
const GLOBEX = { seed: 11, days: 1, clock: { running: false } };

async function requestsTo(org: Org): Promise<number> {
  const stats = (await (await fetch(`${org.url}/__sim/stats`)).json()) as {
    requests: Record<string, number>;
  };
  return Object.values(stats.requests).reduce((a, b) => a + b, 0);
}

async function until(
  what: string,
  ready: () => boolean | Promise<boolean>,
  log: () => string,
): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}; the collector said:\n${log()}`);
}

describe("sfevents collect with several orgs", () => {
  let acme: Org;
  let globex: Org;
  let acmeIntake: FakeIntake;
  let globexIntake: FakeIntake;
  let dir: ReturnType<typeof tempDir>;

  const entry = (
    name: string,
    org: Org,
    intake: FakeIntake,
    secret = `\${${name.toUpperCase()}_SECRET}`,
  ) => ({
    salesforce: { url: org.url, client_id: org.clientId, client_secret: secret },
    outputs: { sekoia: { url: intake.url, intake_key: `\${${name.toUpperCase()}_INTAKE_KEY}` } },
  });
  const env = () => ({
    ACME_SECRET: acme.clientSecret,
    GLOBEX_SECRET: globex.clientSecret,
    ACME_INTAKE_KEY: "acme-intake-key",
    GLOBEX_INTAKE_KEY: "globex-intake-key",
  });
  const defaults = { event_log_files: { start: "2000-01-01T00:00:00Z", poll_every: "1s" } };
  const processKeys = () => ({
    state: { path: join(dir.path, "state.sqlite") },
    dead_letters: { path: join(dir.path, "dead-letters.ndjson") },
  });

  beforeEach(async () => {
    dir = tempDir("orgs");
    [acme, globex] = await Promise.all([startSimulator(ACME), startSimulator(GLOBEX)]);
    acmeIntake = await FakeIntake.start({ intakeKey: "acme-intake-key" });
    globexIntake = await FakeIntake.start({ intakeKey: "globex-intake-key" });
  });
  afterEach(async () => {
    await Promise.all([acmeIntake.close(), globexIntake.close(), acme.close(), globex.close()]);
    dir.remove();
  });

  it("delivers each org's rows to its own intake key exactly once, and nothing new on a second run", async () => {
    const path = writeConfig(dir.path, {
      defaults,
      orgs: [
        { name: "acme", ...entry("acme", acme, acmeIntake) },
        { name: "globex", ...entry("globex", globex, globexIntake) },
      ],
      ...processKeys(),
    });
    const first = await runCli(["collect", "--once", "--config", path], env());
    expect(first.code, first.stderr).toBe(0);

    const acmeExpected = await expectedEvents(acme, "Hourly");
    const globexExpected = await expectedEvents(globex, "Hourly");
    expect(acmeExpected.size).toBeGreaterThan(50);
    expect(globexExpected.size).toBeGreaterThan(50);
    // Different seeds: no row of one org is a row of the other, so each intake shows only its own.
    expect(tally(acmeIntake.events)).toEqual(acmeExpected);
    expect(tally(globexIntake.events)).toEqual(globexExpected);

    const lines = logLines(first.stderr);
    expect(
      lines
        .filter((l) => l.msg.startsWith("found "))
        .map((l) => l.org)
        .sort(),
    ).toEqual(["acme", "globex"]);
    expect(lines.map((l) => l.msg)).toContain("org acme: everything available was delivered");
    expect(lines.map((l) => l.msg)).toContain("org globex: everything available was delivered");

    const second = await runCli(["collect", "--once", "--config", path], env());
    expect(second.code, second.stderr).toBe(0);
    expect(acmeIntake.events.length).toBe([...acmeExpected.values()].reduce((a, b) => a + b, 0));
    expect(globexIntake.events.length).toBe([...globexExpected.values()].reduce((a, b) => a + b, 0));

    const shown = await runCli(["state", "show", "--json", "--config", path]);
    const sources = (JSON.parse(shown.stdout) as { sources: { source: string }[] }).sources.map(
      (s) => s.source,
    );
    expect(sources.sort()).toEqual(["acme/event_log_files:hourly", "globex/event_log_files:hourly"]);
    const rewind = await runCli([
      "state",
      "rewind",
      "--config",
      path,
      "--source",
      "globex/event_log_files:hourly",
      "--to",
      "2000-01-01T00:00:00Z",
    ]);
    expect(rewind.stdout, rewind.stderr).toMatch(
      /^Would globex\/event_log_files:hourly: forget \d+ delivered files/,
    );
  });

  it("delivers the other orgs completely when one has a wrong client secret, and names the failed one", async () => {
    const path = writeConfig(dir.path, {
      defaults,
      orgs: [
        { name: "acme", ...entry("acme", acme, acmeIntake) },
        { name: "globex", ...entry("globex", globex, globexIntake, "not-the-secret") },
      ],
      ...processKeys(),
    });
    const run = await runCli(["collect", "--once", "--config", path], env());
    expect(run.code).toBe(1);
    expect(tally(acmeIntake.events)).toEqual(await expectedEvents(acme, "Hourly"));
    expect(globexIntake.events).toEqual([]);
    const lines = logLines(run.stderr);
    expect(lines.map((l) => l.msg)).toContain("org acme: everything available was delivered");
    expect(lines.find((l) => l.msg.startsWith("org globex: failed:"))?.org).toBe("globex");
  });

  it("starts an org when its file is added to orgs_dir, and stops it when the file is removed", async () => {
    const orgsDir = join(dir.path, "orgs.d");
    mkdirSync(orgsDir);
    const path = writeConfig(dir.path, {
      defaults,
      orgs: [{ name: "acme", ...entry("acme", acme, acmeIntake) }],
      orgs_dir: orgsDir,
      ...processKeys(),
      metrics: { listen: "127.0.0.1:0" },
    });
    const collector = startCli(["collect", "--config", path], env());
    let stderr = "";
    collector.child.stderr?.on("data", (d: string) => {
      stderr += d;
    });
    const said = (text: string) => () => logLines(stderr).some((l) => l.msg.includes(text));
    try {
      const acmeExpected = await expectedEvents(acme, "Hourly");
      await until(
        "acme's rows",
        () => acmeIntake.events.length >= acmeExpected.size,
        () => stderr,
      );
      expect(await requestsTo(globex)).toBe(0);

      const globexFile = join(orgsDir, "globex.yaml");
      const { client_id: _, ...withoutClientId } = entry("globex", globex, globexIntake).salesforce;
      writeFileSync(
        globexFile,
        stringify({ ...entry("globex", globex, globexIntake), salesforce: withoutClientId }),
      );
      await until("the invalid file reported", said(`${globexFile} is not valid:`), () => stderr);
      expect(said("salesforce.client_id: is required")()).toBe(true);
      expect(said("The org is not started.")()).toBe(true);
      expect(await requestsTo(globex)).toBe(0);

      writeFileSync(globexFile, stringify(entry("globex", globex, globexIntake)));
      const globexExpected = await expectedEvents(globex, "Hourly");
      await until(
        "globex's rows",
        () => tally(globexIntake.events).size >= globexExpected.size,
        () => stderr,
      );
      expect(tally(globexIntake.events)).toEqual(globexExpected);
      expect(said(`org globex started from ${globexFile}`)()).toBe(true);
      // One registry and one status for both orgs, each series and entry naming its org.
      const url = logLines(stderr)
        .find((l) => l.msg.startsWith("metrics at "))
        ?.msg.match(/^metrics at (\S+)\/metrics/)?.[1];
      const metrics = await (await fetch(`${url}/metrics`)).text();
      for (const org of ["acme", "globex"])
        expect(metrics).toMatch(
          new RegExp(
            `^sfevents_units_delivered_total\\{org="${org}",source="event_log_files:hourly"\\} [1-9]`,
            "m",
          ),
        );
      const status = (await (await fetch(`${url}/status.json`)).json()) as {
        orgs: { org: { name: string } }[];
      };
      expect(status.orgs.map((o) => o.org.name).sort()).toEqual(["acme", "globex"]);
      expect(await (await fetch(`${url}/`)).text()).toContain('<span data-testid="org">globex</span>');

      // A changed file restarts its org, which finds nothing new: the state is shared.
      writeFileSync(
        globexFile,
        stringify({ ...entry("globex", globex, globexIntake), limits: { slow_down_at: 0.7 } }),
      );
      await until("globex restarted", said(`${globexFile} changed: restarting org globex`), () => stderr);
      const starts = () =>
        logLines(stderr).filter((l) => l.msg === `org globex started from ${globexFile}`).length;
      await until(
        "globex started again",
        () => starts() === 2,
        () => stderr,
      );

      rmSync(globexFile);
      await until("globex stopped", said(`org globex stopped: ${globexFile} was removed`), () => stderr);
      const requests = await requestsTo(globex);
      // acme goes on polling every second: three more of its cycles, and not one request to globex.
      const acmeCycles = () =>
        logLines(stderr).filter((l) => l.org === "acme" && l.msg.startsWith("cycle done")).length;
      const cyclesThen = acmeCycles();
      await until(
        "three more acme cycles",
        () => acmeCycles() >= cyclesThen + 3,
        () => stderr,
      );
      expect(await requestsTo(globex)).toBe(requests);
      expect(tally(acmeIntake.events)).toEqual(acmeExpected);
    } finally {
      collector.child.kill("SIGTERM");
      await collector.done;
    }
  });
});
