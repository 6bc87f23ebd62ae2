import { spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DeliveredFile, openSqliteState, StateError, type StateStore } from "../../src/state/index.js";

function file(overrides: Partial<DeliveredFile> = {}): DeliveredFile {
  return {
    id: "0ATD000000001bROAQ",
    eventType: "Login",
    interval: "Hourly",
    logDate: "2026-11-01T10:00:00.000+0000",
    createdDate: "2026-11-01T14:03:12.000+0000",
    sequence: 1,
    length: 52_345,
    rows: 310,
    ...overrides,
  };
}

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

  it("creates missing directories and keeps files and cursors across a reopen", () => {
    const path = join(dir, "deep", "er", "state.sqlite");
    const first = openStore(path);
    first.markDelivered(file(), {
      source: "elf:Hourly",
      position: { createdDate: "2026-11-01T14:03:12.000+0000", id: "0AT1" },
    });
    first.setCursor("elf:Daily", { createdDate: "2026-11-01T02:00:00.000+0000", id: "0AT9" });
    first.close();

    const again = openStore(path);
    expect(again.isDelivered(file().id, file().createdDate)).toBe(true);
    expect(again.cursor("elf:Hourly")).toEqual({ createdDate: "2026-11-01T14:03:12.000+0000", id: "0AT1" });
    expect(again.cursor("elf:Daily")).toEqual({ createdDate: "2026-11-01T02:00:00.000+0000", id: "0AT9" });
    expect(again.deliveredFor("Login", file().logDate, "Hourly")).toEqual([file()]);
  });

  it("tells a file apart by its Id and CreatedDate: a regenerated daily file is new", () => {
    const store = openStore();
    store.markDelivered(file({ interval: "Daily", sequence: 0 }));
    expect(store.isDelivered(file().id, "2026-11-02T03:00:00.000+0000")).toBe(false);
    expect(store.isDelivered("0ATD000000009zzZZZ", file().createdDate)).toBe(false);
    expect(store.cursor("elf:Hourly")).toBeUndefined();
  });

  it("lists the deliveries of one event type, log date and interval in Sequence order", () => {
    const store = openStore();
    const late = file({ id: "0AT2", sequence: 2, createdDate: "2026-11-01T18:00:00.000+0000" });
    const first = file({ id: "0AT1", sequence: 1 });
    store.markDelivered(late);
    store.markDelivered(first);
    store.markDelivered(file({ id: "0AT3", eventType: "API" }));
    store.markDelivered(file({ id: "0AT4", interval: "Daily", sequence: 0 }));
    expect(store.deliveredFor("Login", first.logDate, "Hourly").map((f) => f.id)).toEqual(["0AT1", "0AT2"]);
    expect(store.deliveredFor("Login", first.logDate, "Daily").map((f) => f.id)).toEqual(["0AT4"]);
  });

  it("records the file and moves the cursor together, or does neither", () => {
    const store = openStore();
    const before = { createdDate: "2026-11-01T00:00:00.000+0000", id: "0AT0" };
    store.setCursor("elf:Hourly", before);
    // An unparseable CreatedDate fails inside the transaction, after the row insert was prepared.
    expect(() =>
      store.markDelivered(file({ createdDate: "yesterday" }), {
        source: "elf:Hourly",
        position: { createdDate: "2026-11-01T14:03:12.000+0000", id: "0AT1" },
      }),
    ).toThrow(StateError);
    expect(store.cursor("elf:Hourly")).toEqual(before);
    expect(store.isDelivered(file().id, "yesterday")).toBe(false);
  });

  it("forgets files created before the given instant, whatever the spelling of the offset", () => {
    const store = openStore();
    store.markDelivered(file({ id: "old", createdDate: "2026-10-01T09:59:59.999+0000" }));
    store.markDelivered(file({ id: "edge", createdDate: "2026-10-01T10:00:00.000Z" }));
    store.markDelivered(file({ id: "new", createdDate: "2026-10-20T00:00:00.000+0000" }));
    expect(store.prune(new Date("2026-10-01T10:00:00.000Z"))).toBe(1);
    expect(store.isDelivered("old", "2026-10-01T09:59:59.999+0000")).toBe(false);
    expect(store.isDelivered("edge", "2026-10-01T10:00:00.000Z")).toBe(true);
    expect(store.isDelivered("new", "2026-10-20T00:00:00.000+0000")).toBe(true);
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
    for (let i = 0; i < 200; i++) store.markDelivered(file({ id: `0AT${i}` }));
    store.close();
    // The first page (header and schema) stays valid; the pages of the table are scrambled.
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(16 * 1024, 0xa5), 0, 16 * 1024, 4096);
    closeSync(fd);
    expect(() => openStore(path)).toThrowError(new RegExp(`^The state database ${path} is damaged`));
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
    expect(openStore(path).cursor("elf:Hourly")).toBeUndefined();
  });
});
