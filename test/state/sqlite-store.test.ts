import { execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inspectSqliteState, openSqliteState, type StateStore } from "../../src/state/index.js";
import { storeContract, unit } from "./store-contract.js";

const HOURLY = "event_log_files:hourly";

describe("the SQLite store", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  storeContract({
    async fresh() {
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = mkdtempSync(join(tmpdir(), "sfevents-contract-"));
      return openSqliteState(join(dir, "state.sqlite"));
    },
    async again() {
      return openSqliteState(join(dir!, "state.sqlite"));
    },
  });
});

describe("openSqliteState", () => {
  let dir: string;
  let open: StateStore[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sfevents-state-"));
    open = [];
  });
  afterEach(async () => {
    for (const store of open) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function openStore(path = join(dir, "var", "state.sqlite")): StateStore {
    const store = openSqliteState(path, { busyTimeoutMs: 50 });
    open.push(store);
    return store;
  }

  it("creates missing directories", async () => {
    const path = join(dir, "deep", "er", "state.sqlite");
    await openStore(path).close();
    expect(statSync(path).isFile()).toBe(true);
  });

  it("names the path and the fix when the file is not a database", () => {
    const path = join(dir, "state.sqlite");
    writeFileSync(path, "this is not SQLite, just some bytes that landed here by mistake\n".repeat(200));
    expect(() => openStore(path)).toThrowError(
      new RegExp(`^The state database ${path} is damaged or is not an SQLite database .*move it aside`),
    );
  });

  it("names the path and the fix when the database pages are corrupted", async () => {
    const path = join(dir, "state.sqlite");
    const store = openStore(path);
    for (let i = 0; i < 200; i++) await store.markDelivered(unit({ key: `0AT${i}` }));
    await store.close();
    // The first page (header and schema) stays valid; the pages of the table are scrambled.
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(16 * 1024, 0xa5), 0, 16 * 1024, 4096);
    closeSync(fd);
    expect(() => openStore(path)).toThrowError(new RegExp(`^The state database ${path} is damaged`));
  });

  it("names the damage and the fix when the schema version is one no sfevents writes", async () => {
    const path = join(dir, "state.sqlite");
    await openStore(path).close();
    open.pop();
    const db = new Database(path);
    db.prepare("UPDATE schema_version SET version = -1").run();
    db.close();
    const damaged = new RegExp(
      `^The state database ${path} is damaged: its schema version -1 is one no sfevents writes\\. Restore it from a backup, or move it aside`,
    );
    expect(() => openStore(path)).toThrowError(damaged);
    // check's read-only look says the same, rather than call it an older state.
    expect(() => inspectSqliteState(path)).toThrowError(damaged);
  });

  // SQLite opens a file it cannot write read-only and then fails with a bare "disk I/O error".
  // Root writes through 0444, so as root the file sits on a tmpfs remounted read-only.
  it("names the path and the fix when the state file is read-only", async (ctx) => {
    const mountPoint = join(dir, "ro");
    mkdirSync(mountPoint);
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      try {
        execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint], { stdio: "pipe" });
      } catch (err) {
        console.log(
          `skipped: running as root and cannot mount a tmpfs to make read-only (${(err as Error).message.trim()})`,
        );
        ctx.skip();
      }
    }
    const path = join(mountPoint, "state.sqlite");
    try {
      await openStore(path).close();
      open.pop();
      if (asRoot) execFileSync("mount", ["-o", "remount,ro", mountPoint], { stdio: "pipe" });
      else chmodSync(path, 0o444);
      expect(() => openStore(path)).toThrowError(
        new RegExp(`^The state database ${path} is read-only \\(.*\\): make the file writable`),
      );
    } finally {
      if (asRoot) execFileSync("umount", [mountPoint], { stdio: "pipe" });
    }
  });

  it("refuses a directory as the state path", () => {
    const path = join(dir, "a-directory");
    mkdirSync(path);
    expect(() => openStore(path)).toThrowError(/is a directory; give the path of a file/);
  });

  it("stops a second collector on the same file with a clear error", () => {
    const path = join(dir, "state.sqlite");
    openStore(path);
    expect(() => openStore(path)).toThrowError(
      new RegExp(
        `^The state database ${path} is locked by another process: is another sfevents collector running`,
      ),
    );
  });

  it("stops when another process holds the file", async () => {
    const path = join(dir, "state.sqlite");
    await openStore(path).close();
    const sqlite = createRequire(import.meta.url).resolve("better-sqlite3");
    const holder = spawn(
      process.execPath,
      [
        "-e",
        `const db = new (require(${JSON.stringify(sqlite)}))(${JSON.stringify(path)});
         db.pragma("locking_mode = EXCLUSIVE"); db.exec("BEGIN EXCLUSIVE");
         process.stdout.write("held\\n"); process.stdin.resume(); process.stdin.on("end", () => process.exit(0));`,
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.once("data", () => resolve());
        holder.once("exit", (code) => reject(new Error(`holder exited with ${code}`)));
      });
      expect(() => openStore(path)).toThrowError(/is locked by another process/);
    } finally {
      holder.stdin.end();
      await new Promise((resolve) => holder.once("exit", resolve));
    }
    expect(await openStore(path).checkpoint(HOURLY)).toBeUndefined();
  });
});
