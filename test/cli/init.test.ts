import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/app/config.js";
import { CLI, runCli, tempDir } from "../integration/harness.js";

const ENV = {
  SF_CLIENT_ID: "id-from-env",
  SF_CLIENT_SECRET: "secret-from-env",
  SEKOIA_INTAKE_KEY: "key-from-env",
};

describe("sfevents init", () => {
  const dir = tempDir("init");
  afterAll(() => dir.remove());

  it("writes a starter configuration that loads once the environment variables are set", async () => {
    const path = join(dir.path, "sfevents.yaml");
    const run = await runCli(["init", path]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("npx sfevents check --config");
    const text = readFileSync(path, "utf8");
    expect(text).toContain("docs/configuration.md");
    expect(text).toMatch(/^ {2}# file:/m);

    const config = loadConfig(path, ENV);
    expect(config.salesforce.client_id).toBe("id-from-env");
    expect(config.outputs.sekoia?.intake_key).toBe("key-from-env");
    expect(config.outputs.file).toBeUndefined();
    expect(config.state.path).toBe("./var/sfevents.sqlite");
    expect(config.dead_letters.path).toBe("./var/dead-letters.ndjson");
    // Without the variables, the loader names each one: the secrets are not in the file.
    expect(() => loadConfig(path, {})).toThrow(/SF_CLIENT_SECRET is not set/);
  });

  it("writes ./sfevents.yaml when no file is given", () => {
    const cwd = tempDir("init-cwd");
    try {
      const run = spawnSync(process.execPath, [CLI, "init"], { cwd: cwd.path, encoding: "utf8" });
      expect(run.status, run.stderr).toBe(0);
      expect(() => loadConfig(join(cwd.path, "sfevents.yaml"), ENV)).not.toThrow();
    } finally {
      cwd.remove();
    }
  });

  it("refuses to overwrite an existing file unless --force", async () => {
    const path = join(dir.path, "mine.yaml");
    writeFileSync(path, "# my own configuration\n");
    const refused = await runCli(["init", path]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("already exists; pass --force to overwrite it");
    expect(readFileSync(path, "utf8")).toBe("# my own configuration\n");

    const forced = await runCli(["init", path, "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(() => loadConfig(path, ENV)).not.toThrow();
  });

  it("is listed by --help", async () => {
    const run = await runCli(["--help"]);
    expect(run.stdout).toMatch(/^ {2}init\s+Write a commented starter configuration/m);
  });
});
