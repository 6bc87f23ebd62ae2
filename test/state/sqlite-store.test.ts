import { execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type DeliveredUnit,
  inspectSqliteState,
  openSqliteState,
  StateError,
  type StateStore,
} from "../../src/state/index.js";

const HOURLY = "event_log_files:hourly";
const DAILY = "event_log_files:daily";

function unit(overrides: Partial<DeliveredUnit> = {}): DeliveredUnit {
  return {
    source: HOURLY,
    key: "0ATD000000001bROAQ@2026-11-01T14:03:12.000+0000",
    scope: "Login|Hourly|2026-11-01T10:00:00.000+0000",
    position: "2026-11-01T14:03:12.000Z",
    rows: 310,
    detail: { eventType: "Login", sequence: 1, length: 52_345 },
    ...overrides,
  };
}

const cursor = (createdDate: string, id: string) => JSON.stringify({ createdDate, id });

describe("openSqliteState", () => {
  let dir: string;
  let open: StateStore[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sfevents-state-"));
    open = [];
  });
  afterEach(() => {
    for (const store of open) store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function openStore(path = join(dir, "var", "state.sqlite")): StateStore {
    const store = openSqliteState(path, { busyTimeoutMs: 50 });
    open.push(store);
    return store;
  }

  it("creates missing directories and keeps units and checkpoints across a reopen, per source", () => {
    const path = join(dir, "deep", "er", "state.sqlite");
    const first = openStore(path);
    first.markDelivered(unit(), cursor("2026-11-01T14:03:12.000+0000", "0AT1"));
    first.setCheckpoint(DAILY, cursor("2026-11-01T02:00:00.000+0000", "0AT9"));
    first.close();

    const again = openStore(path);
    expect(again.isDelivered(HOURLY, unit().key)).toBe(true);
    expect(again.isDelivered(DAILY, unit().key)).toBe(false);
    expect(again.checkpoint(HOURLY)).toBe(cursor("2026-11-01T14:03:12.000+0000", "0AT1"));
    expect(again.checkpoint(DAILY)).toBe(cursor("2026-11-01T02:00:00.000+0000", "0AT9"));
    expect(again.deliveredIn(HOURLY, unit().scope!)).toEqual([unit()]);
  });

  it("tells units apart by their key within their source", () => {
    const store = openStore();
    store.markDelivered(unit());
    expect(store.isDelivered(HOURLY, "0ATD000000001bROAQ@2026-11-02T03:00:00.000+0000")).toBe(false);
    expect(store.checkpoint(HOURLY)).toBeUndefined();
  });

  it("lists the delivered units of one scope of a source, in position order", () => {
    const store = openStore();
    store.markDelivered(unit({ key: "0AT1", position: "2026-11-01T18:00:00.000Z" }));
    store.markDelivered(unit({ key: "0AT2" }));
    store.markDelivered(unit({ key: "0AT3", scope: "API|Hourly|2026-11-01T10:00:00.000+0000" }));
    store.markDelivered(unit({ key: "0AT4", source: DAILY }));
    expect(store.deliveredIn(HOURLY, unit().scope!).map((u) => u.key)).toEqual(["0AT2", "0AT1"]);
    expect(store.deliveredIn(DAILY, unit().scope!).map((u) => u.key)).toEqual(["0AT4"]);
  });

  it("records the unit and moves the checkpoint together, or does neither", () => {
    const store = openStore();
    const before = cursor("2026-11-01T00:00:00.000+0000", "0AT0");
    store.setCheckpoint(HOURLY, before);
    // An unparseable position fails inside the transaction, after the row insert was prepared.
    expect(() =>
      store.markDelivered(unit({ position: "yesterday" }), cursor("2026-11-01T14:03:12.000+0000", "0AT1")),
    ).toThrow(StateError);
    expect(store.checkpoint(HOURLY)).toBe(before);
    expect(store.isDelivered(HOURLY, unit().key)).toBe(false);
  });

  it("forgets a source's units positioned before the given instant, whatever the spelling of the offset", () => {
    const store = openStore();
    store.markDelivered(unit({ key: "old", position: "2026-10-01T09:59:59.999+0000" }));
    store.markDelivered(unit({ key: "edge", position: "2026-10-01T10:00:00.000Z" }));
    store.markDelivered(unit({ key: "new", position: "2026-10-20T00:00:00.000+0000" }));
    store.markDelivered(unit({ key: "other", source: DAILY, position: "2026-09-01T00:00:00.000Z" }));
    expect(store.prune(HOURLY, new Date("2026-10-01T10:00:00.000Z"))).toBe(1);
    expect(store.isDelivered(HOURLY, "old")).toBe(false);
    expect(store.isDelivered(HOURLY, "edge")).toBe(true);
    expect(store.isDelivered(HOURLY, "new")).toBe(true);
    expect(store.isDelivered(DAILY, "other")).toBe(true);
  });

  it("names the path and the fix when the file is not a database", () => {
    const path = join(dir, "state.sqlite");
    writeFileSync(path, "this is not SQLite, just some bytes that landed here by mistake\n".repeat(200));
    expect(() => openStore(path)).toThrowError(
      new RegExp(`^The state database ${path} is damaged or is not an SQLite database .*move it aside`),
    );
  });

  it("names the path and the fix when the database pages are corrupted", () => {
    const path = join(dir, "state.sqlite");
    const store = openStore(path);
    for (let i = 0; i < 200; i++) store.markDelivered(unit({ key: `0AT${i}` }));
    store.close();
    // The first page (header and schema) stays valid; the pages of the table are scrambled.
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(16 * 1024, 0xa5), 0, 16 * 1024, 4096);
    closeSync(fd);
    expect(() => openStore(path)).toThrowError(new RegExp(`^The state database ${path} is damaged`));
  });

  it("names the damage and the fix when the schema version is one no sfevents writes", () => {
    const path = join(dir, "state.sqlite");
    openStore(path).close();
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
  it("names the path and the fix when the state file is read-only", (ctx) => {
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
      openStore(path).close();
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
    openStore(path).close();
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
    expect(openStore(path).checkpoint(HOURLY)).toBeUndefined();
  });
});
