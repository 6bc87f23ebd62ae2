import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FileOutput } from "../../../src/outputs/file/sink.js";
import { OutputError } from "../../../src/outputs/output.js";
import { loginEvent } from "../events.js";

describe("FileOutput", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sfevents-file-"));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it("appends one raw event per line, creating the directories", async () => {
    const path = join(dir, "out", "nested", "events.ndjson");
    const events = [
      loginEvent(2),
      loginEvent(3, { uri: 'quoted "value"\nwith a line break' }),
      loginEvent(5),
    ];
    for (const run of [0, 1]) {
      const output = await FileOutput.open({ path });
      for (const event of events) await output.write(event);
      await output.flush();
      await output.close();
      const lines = readFileSync(path, "utf8").split("\n");
      expect(lines.pop()).toBe("");
      expect(lines).toHaveLength(events.length * (run + 1));
      expect(lines.slice(-3).map((l) => JSON.parse(l))).toEqual(events.map((e) => JSON.parse(e.json)));
    }
  });

  it("writes what the encoder returns when one is given", async () => {
    const path = join(dir, "ecs.ndjson");
    const output = await FileOutput.open({
      path,
      encode: (event) => JSON.stringify({ event: { code: event.origin.eventType }, line: event.row.line }),
    });
    output.write(loginEvent(7));
    await output.flush();
    await output.close();
    expect(readFileSync(path, "utf8")).toBe('{"event":{"code":"Login"},"line":7}\n');
  });

  it("resolves flush only after the data was written and synced to disk", async () => {
    const path = join(dir, "events.ndjson");
    const output = await FileOutput.open({ path });
    const probe = await open(join(dir, "probe"), "w");
    const handleType = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
    await probe.close();
    const synced: string[] = [];
    const datasync = handleType.datasync;
    vi.spyOn(handleType, "datasync").mockImplementation(async function (this: unknown) {
      synced.push(readFileSync(path, "utf8"));
      return datasync.call(this);
    });
    output.write(loginEvent(2));
    output.write(loginEvent(3));
    expect(synced).toEqual([]);
    await output.flush();
    expect(synced).toEqual([`${loginEvent(2).json}\n${loginEvent(3).json}\n`]);
    await output.close();
  });

  it("makes the caller wait while a chunk is written and the next one is full", async () => {
    const path = join(dir, "events.ndjson");
    const output = await FileOutput.open({ path, chunkChars: 1000 });
    const results = Array.from({ length: 40 }, (_, i) => output.write(loginEvent(i + 2, { size: 200 })));
    const waits = results.filter((r) => r instanceof Promise);
    expect(waits.length).toBeGreaterThan(0);
    // Four 201-character lines fill a 1000-character chunk: every fifth write asks the caller to wait.
    expect(results.slice(0, 4)).toEqual([undefined, undefined, undefined, undefined]);
    expect(results[4]).toBeInstanceOf(Promise);
    await Promise.all(waits);
    await output.flush();
    await output.close();
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l).TIMESTAMP_DERIVED)).toEqual(
      Array.from({ length: 40 }, (_, i) => JSON.parse(loginEvent(i + 2).json).TIMESTAMP_DERIVED),
    );
    expect(output.counters.events).toBe(40);
  });

  it("names the path and the OS reason when the path cannot be written", async () => {
    const blocker = join(dir, "a-file");
    writeFileSync(blocker, "");
    const underFile = join(blocker, "events.ndjson");
    const error = await FileOutput.open({ path: underFile }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputError);
    expect((error as OutputError).fatal).toBe(true);
    expect((error as OutputError).message).toMatch(
      new RegExp(
        `^The file output cannot write to ${underFile}: .*\\((ENOTDIR|EEXIST)\\)\\. Check outputs\\.file\\.path`,
      ),
    );

    const directory = join(dir, "a-directory");
    mkdirSync(directory);
    await expect(FileOutput.open({ path: directory })).rejects.toThrowError(
      new RegExp(`cannot write to ${directory}: .*\\(EISDIR\\)`),
    );
  });

  it.skipIf(!existsSync("/dev/full"))(
    "reports a failed write on write and flush, then starts afresh",
    async () => {
      const output = await FileOutput.open({ path: "/dev/full", chunkChars: 100 });
      const failed = await Promise.resolve(output.write(loginEvent(2, { size: 200 }))).catch(
        (e: unknown) => e,
      );
      expect(failed).toBeInstanceOf(OutputError);
      expect((failed as OutputError).fatal).toBe(false);
      expect((failed as OutputError).message).toMatch(/could not write to \/dev\/full: .*\(ENOSPC\)/);
      await expect(Promise.resolve(output.write(loginEvent(3)))).rejects.toBe(failed);
      await expect(output.flush()).rejects.toBe(failed);
      // The failure was reported once; the next flush tries again with what was written since.
      await expect(Promise.resolve(output.write(loginEvent(4, { size: 200 })))).rejects.toThrowError(
        /ENOSPC/,
      );
      await expect(output.flush()).rejects.toThrowError(
        /^The file output could not write to \/dev\/full: no space left on device \(ENOSPC\)\./,
      );
      await output.close();
    },
  );

  it("writes to standard output when the path is -", async () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation(((
      chunk: string,
      callback?: (err?: Error) => void,
    ) => {
      written.push(chunk);
      callback?.();
      return true;
    }) as typeof process.stdout.write);
    const output = await FileOutput.open({ path: "-" });
    output.write(loginEvent(2));
    await output.flush();
    await output.close();
    expect(written.join("")).toBe(`${loginEvent(2).json}\n`);
  });
});
