import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, tempDir } from "../integration/harness.js";

const HEAVY = ["undici", "better-sqlite3"];
/** Loaded only by a collector whose configuration sets metrics.listen. */
const METRICS = "prom-client";

/**
 * Which of the heavy packages a run of the CLI loaded: a preloaded script lists, at exit, the
 * packages in the CommonJS module cache (both are CommonJS, so an ESM import of them lands there).
 */
describe("what a command loads", () => {
  const dir = tempDir("lazy-loading");
  afterAll(() => dir.remove());
  const probe = join(dir.path, "loaded.cjs");
  writeFileSync(
    probe,
    `process.on("exit", () => {
      const names = Object.keys(require.cache).map((k) => /node_modules\\/([^/]+)\\//.exec(k)?.[1]);
      process.stderr.write("LOADED " + JSON.stringify([...new Set(names.filter(Boolean))]) + "\\n");
    });`,
  );
  const loadedAll = (args: string[]): string[] => {
    const run = spawnSync(process.execPath, ["--require", probe, CLI, ...args], { encoding: "utf8" });
    const line = /^LOADED (.*)$/m.exec(run.stderr)?.[1];
    expect(line, run.stderr).toBeDefined();
    return JSON.parse(line!) as string[];
  };
  const loaded = (args: string[]): string[] => loadedAll(args).filter((name) => HEAVY.includes(name));

  it("--help loads neither undici nor better-sqlite3", () => {
    expect(loaded(["--help"])).toEqual([]);
  });

  it("--help, replay and a collect without metrics.listen do not load prom-client; one with it does", () => {
    const csv = join(dir.path, "Api.csv");
    writeFileSync(csv, '"EVENT_TYPE","USER_ID"\n"API","005000000000001"\n');
    expect(loadedAll(["--help"])).not.toContain(METRICS);
    expect(loadedAll(["replay", csv])).not.toContain(METRICS);
    // Valid configurations that stop while the collector is assembled (the JWT key file is missing):
    // past the point where the metrics module is loaded, before anything is collected.
    const config = (name: string, metrics: string) => {
      const path = join(dir.path, name);
      writeFileSync(
        path,
        `salesforce: { url: "https://acme.my.salesforce.com", client_id: id, jwt: { username: u@acme.com, private_key_file: "${join(dir.path, "missing.key")}" } }\n` +
          `outputs: { file: { path: "${join(dir.path, "out.ndjson")}" } }\nstate: { path: "${join(dir.path, "state.sqlite")}" }\n${metrics}`,
      );
      return path;
    };
    expect(loadedAll(["collect", "--config", config("plain.yaml", "")])).not.toContain(METRICS);
    expect(
      loadedAll(["collect", "--config", config("watched.yaml", 'metrics: { listen: "127.0.0.1:0" }\n')]),
    ).toContain(METRICS);
  });

  it("replay loads neither undici nor better-sqlite3", () => {
    const csv = join(dir.path, "Login.csv");
    writeFileSync(csv, '"EVENT_TYPE","USER_ID"\n"Login","005000000000001"\n');
    expect(loaded(["replay", csv])).toEqual([]);
  });

  it("init loads neither undici nor better-sqlite3", () => {
    const starter = join(dir.path, "starter.yaml");
    expect(loaded(["init", starter])).toEqual([]);
    expect(existsSync(starter)).toBe(true);
  });

  it("collect loads both (the probe sees them)", () => {
    expect(loaded(["collect", "--config", join(dir.path, "missing.yaml")]).sort()).toEqual(HEAVY.sort());
  });
});
