import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FileOutput } from "../../../src/outputs/file/sink.js";
import { OutputError } from "../../../src/core/output.js";
import { capturedLogger } from "../../support/logger.js";
import { loginEvent } from "../../support/events.js";

/** The prototype every FileHandle shares, so a test can stand in for the OS under any handle. */
async function fileHandlePrototype(dir: string): Promise<FileHandle> {
  const probe = await open(join(dir, "probe"), "w");
  await probe.close();
  return Object.getPrototypeOf(probe) as FileHandle;
}

/** What a full disk does to write(2): the bytes that still fit are written, then ENOSPC. */
function fillDiskAfter(handleType: FileHandle, room: number): void {
  const write = handleType.write as (
    this: FileHandle,
    ...args: unknown[]
  ) => Promise<{ bytesWritten: number }>;
  vi.spyOn(handleType, "write").mockImplementation(async function (
    this: FileHandle,
    data: unknown,
    offset?: unknown,
    length?: unknown,
  ) {
    const from = typeof offset === "number" ? offset : 0;
    const bytes = typeof data === "string" ? Buffer.from(data) : (data as Buffer).subarray(from);
    const wanted = typeof length === "number" ? length : bytes.length;
    const fits = Math.min(room, wanted);
    if (fits === 0) {
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), {
        code: "ENOSPC",
        errno: -28,
        syscall: "write",
      });
    }
    room -= fits;
    const { bytesWritten } = await write.call(this, bytes.subarray(0, fits));
    return { bytesWritten, buffer: data };
  } as FileHandle["write"]);
}

const linesOf = (...events: ReturnType<typeof loginEvent>[]) => events.map((e) => `${e.json}\n`).join("");

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
      encode: (event) => JSON.stringify({ event: { code: event.origin.eventType }, line: event.line }),
    });
    output.write(loginEvent(7));
    await output.flush();
    await output.close();
    expect(readFileSync(path, "utf8")).toBe('{"event":{"code":"Login"},"line":7}\n');
  });

  it("resolves flush only after the data was written and synced to disk", async () => {
    const path = join(dir, "events.ndjson");
    const output = await FileOutput.open({ path });
    const handleType = await fileHandlePrototype(dir);
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

  it("rejects flush when the disk fills part-way through a write, and leaves the file whole lines", async () => {
    const path = join(dir, "events.ndjson");
    const handleType = await fileHandlePrototype(dir);
    const output = await FileOutput.open({ path });
    const acknowledged = [loginEvent(2), loginEvent(3)];
    for (const event of acknowledged) output.write(event);
    await output.flush();

    // Room for a line and a half: write(2) takes 180 bytes of the next chunk, then the disk is full.
    fillDiskAfter(handleType, 180);
    for (const line of [4, 5, 6]) output.write(loginEvent(line));
    const failure = await output.flush().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OutputError);
    expect((failure as OutputError).fatal).toBe(false);
    expect((failure as OutputError).message).toBe(
      `The file output could not write to ${path}: no space left on device (ENOSPC). The files in flight will be delivered again on the next cycle.`,
    );
    // Only what the successful flush acknowledged remains: the line and a half that fit are cut.
    expect(readFileSync(path, "utf8")).toBe(linesOf(...acknowledged));

    // Space is back: the next cycle's lines start on a line boundary.
    vi.restoreAllMocks();
    output.write(loginEvent(7));
    await output.flush();
    await output.close();
    expect(readFileSync(path, "utf8")).toBe(linesOf(...acknowledged, loginEvent(7)));
  });

  it("cuts a failed write's bytes before the next write when the first cut failed too", async () => {
    const path = join(dir, "events.ndjson");
    const handleType = await fileHandlePrototype(dir);
    const output = await FileOutput.open({ path });
    output.write(loginEvent(2));
    await output.flush();

    fillDiskAfter(handleType, 50);
    vi.spyOn(handleType, "truncate").mockRejectedValueOnce(
      Object.assign(new Error("EIO: i/o error, ftruncate"), { code: "EIO", errno: -5, syscall: "ftruncate" }),
    );
    output.write(loginEvent(3));
    await expect(output.flush()).rejects.toThrowError(/\(ENOSPC\)/);
    expect(readFileSync(path, "utf8")).toBe(`${linesOf(loginEvent(2))}${loginEvent(3).json.slice(0, 50)}`);

    vi.mocked(handleType.write).mockRestore();
    output.write(loginEvent(4));
    await output.flush();
    await output.close();
    expect(readFileSync(path, "utf8")).toBe(linesOf(loginEvent(2), loginEvent(4)));
  });

  it("cuts an incomplete last line left by an interrupted write when it opens the file, and says so", async () => {
    const path = join(dir, "events.ndjson");
    const complete = linesOf(loginEvent(2), loginEvent(3));
    const torn = loginEvent(4).json.slice(0, 37);
    writeFileSync(path, complete + torn);
    const { logger, lines } = capturedLogger("info");
    const output = await FileOutput.open({ path, logger });
    expect(readFileSync(path, "utf8")).toBe(complete);
    expect(lines()).toEqual([
      expect.objectContaining({
        level: "warn",
        path,
        bytes: 37,
        msg: `${path} ended with an incomplete line (37 bytes, from a write that was interrupted: disk full or a crash); cut it so that the file stays NDJSON. Its rows were never acknowledged and are delivered again.`,
      }),
    ]);
    output.write(loginEvent(5));
    await output.flush();
    await output.close();
    expect(readFileSync(path, "utf8")).toBe(complete + linesOf(loginEvent(5)));
  });

  it("leaves a file that ends with a complete line as it is, and empties one with no complete line", async () => {
    const whole = join(dir, "whole.ndjson");
    writeFileSync(whole, linesOf(loginEvent(2)));
    const { logger, lines } = capturedLogger("info");
    await (await FileOutput.open({ path: whole, logger })).close();
    expect(readFileSync(whole, "utf8")).toBe(linesOf(loginEvent(2)));
    expect(lines()).toEqual([]);

    // A first line longer than one read backwards from the end, torn: no newline anywhere.
    const torn = join(dir, "torn.ndjson");
    writeFileSync(torn, loginEvent(3, { size: 200_000 }).json);
    await (await FileOutput.open({ path: torn, logger })).close();
    expect(readFileSync(torn, "utf8")).toBe("");
    expect(lines().map((l) => l.bytes)).toEqual([loginEvent(3, { size: 200_000 }).json.length]);
  });

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
