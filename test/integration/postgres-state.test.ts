import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collectorEnv, expectedRows, useFrozenOrg } from "../faults/support.js";
import { postgresUnavailable, sayPostgresSkipped, postgresForSuite } from "../support/postgres.js";
import { runCli, writeConfig } from "./harness.js";

sayPostgresSkipped("collect with its state on PostgreSQL");

/** The real CLI collecting with `state.postgres` on a real server: what SQLite does, on a database. */
describe.skipIf(postgresUnavailable() !== undefined)("collect with its state on PostgreSQL", () => {
  const shared = useFrozenOrg(12, "postgres-state");
  const EVENT_TYPES = ["Login", "URI"];
  // The server trusts local connections, so the password is never checked: only never shown.
  const PASSWORD = "pg-pa55word-never-shown";
  const server = postgresForSuite();

  it("delivers every row once, then nothing on a second run, and state show reads the database", async () => {
    const { org, intake, dir } = shared;
    const database = await server().createDatabase();
    const config = writeConfig(dir, {
      salesforce: { url: org.url, client_id: org.clientId, client_secret: "${SF_SECRET}" },
      event_log_files: { interval: "auto", start: "2000-01-01T00:00:00Z", event_types: EVENT_TYPES },
      outputs: { sekoia: { url: intake.url, intake_key: "${INTAKE_KEY}" } },
      state: { postgres: { url: "${SFEVENTS_PG_URL}" } },
      dead_letters: { path: join(dir, "dead-letters.ndjson") },
    });
    const env = { ...collectorEnv(org), SFEVENTS_PG_URL: server().url(database, "postgres", PASSWORD) };

    const before = await runCli(["check", "--config", config], env);
    expect(before.stdout).toMatch(
      /^✓ State: postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+ answers; collect creates the sfevents tables$/m,
    );

    const first = await runCli(["collect", "--once", "--config", config, "--log-format", "json"], env);
    expect(first.code, first.stderr).toBe(0);
    const truth = await expectedRows(org, EVENT_TYPES);
    expect(truth.rows).toBeGreaterThan(0);
    expect(truth.expectAllAtLeastOnce(intake.events)).toEqual(new Map());
    expect(intake.events.length).toBe(truth.rows);

    const second = await runCli(["collect", "--once", "--config", config, "--log-format", "json"], env);
    expect(second.code, second.stderr).toBe(0);
    expect(intake.events.length).toBe(truth.rows);
    expect(second.stderr).toMatch(/found 0 new hourly Event Log Files since/);

    const after = await runCli(["check", "--config", config], env);
    expect(after.stdout).toMatch(/^✓ State: postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+ opens$/m);

    const show = await runCli(["state", "show", "--config", config], env);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(
      `State database postgres://postgres@127.0.0.1:${server().port}/${database} (`,
    );
    expect(show.stdout).toMatch(/^event_log_files:hourly$/m);
    for (const output of [
      before.stdout,
      first.stdout,
      first.stderr,
      second.stderr,
      after.stdout,
      show.stdout,
      show.stderr,
    ])
      expect(output).not.toContain(PASSWORD);
  });
});
