import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadScenario, parseScenario } from "../../src/simulator/scenario.js";

describe("scenario", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("fills every default from an empty document", () => {
    const scenario = parseScenario({});
    expect(scenario).toMatchObject({
      port: 0,
      days: 7,
      org: { hourly: true, retention_days: 30, api_version: "64.0", event_log_file_access: true },
      oauth: { token_ttl: 7_200_000, login_host: false, client_credentials_user: true },
      query: { max_page_size: 2000, locator_ttl: 900_000, max_open_locators: 10 },
      api: { daily_limit: 15000 },
      faults: [],
    });
    expect(scenario.start).toBeUndefined();
  });

  it("reads durations as text or as seconds", () => {
    expect(parseScenario({ oauth: { token_ttl: "90m" } }).oauth.token_ttl).toBe(5_400_000);
    expect(parseScenario({ oauth: { token_ttl: 60 } }).oauth.token_ttl).toBe(60_000);
  });

  it("turns a fault's status into its type", () => {
    const [fault] = parseScenario({ faults: [{ status: 503, route: "download" }] }).faults;
    expect(fault).toEqual(
      expect.objectContaining({ type: "server-unavailable", route: "download", nth: 1, count: 1 }),
    );
    expect(fault).not.toHaveProperty("status");
  });

  it("lists every mistake at once, each naming its key", () => {
    let message = "";
    try {
      parseScenario({ days: 0, org: { hourly: "yes" }, faults: [{ route: "download" }], extra: 1 });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("days:");
    expect(message).toContain("org.hourly:");
    expect(message).toContain("faults.0:");
    expect(message).toContain("'extra'");
  });

  it("reads a relative public_key_file from the scenario's folder", () => {
    const dir = mkdtempSync(join(tmpdir(), "sfevents-scenario-"));
    dirs.push(dir);
    writeFileSync(join(dir, "s.json"), JSON.stringify({ oauth: { jwt: { public_key_file: "app.crt" } } }));
    expect(loadScenario(join(dir, "s.json")).oauth?.jwt?.public_key_file).toBe(join(dir, "app.crt"));
    expect(() => loadScenario(join(dir, "missing.yaml"))).toThrow(/scenario file .* does not exist/);
  });
});
