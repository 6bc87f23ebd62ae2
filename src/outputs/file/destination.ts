import { constants, type FileHandle, open } from "node:fs/promises";
import { dirname } from "node:path";
import { mkdir } from "node:fs/promises";
import type { Logger } from "../../observability/logger.js";
import { OutputError } from "../../core/output.js";

/** Where the file output's text goes: an appended file, or standard output. */
export interface Destination {
  readonly description: string;
  /**
   * Writes all of `text` or rejects. A rejected write leaves no byte of it behind where it can
   * (a regular file is cut back), so that writes of whole lines leave whole lines. Bytes are UTF-8
   * text encoded already (a replay thread's lines).
   */
  write(text: string | Uint8Array): Promise<void>;
  /** Resolves once what was written is as durable as the destination can make it. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The OS reason in words a user can act on, e.g. "permission denied (EACCES)". */
export function osReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (typeof e.code !== "string") return String(e.message ?? err);
  const text = e.message.replace(/^[A-Z]+: /, "").replace(/, \w+( '.*')?$/, "");
  return `${text} (${e.code})`;
}

export async function openFileDestination(path: string, logger?: Logger): Promise<Destination> {
  let handle: FileHandle;
  let created: boolean;
  try {
    await mkdir(dirname(path), { recursive: true });
    try {
      handle = await open(
        path,
        constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL,
      );
      created = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      handle = await open(path, "a");
      created = false;
    }
  } catch (err) {
    throw new OutputError(
      `The file output cannot write to ${path}: ${osReason(err)}. Check outputs.file.path and that this user may write there.`,
      true,
    );
  }
  // A file created just now exists after a power cut only once its directory entry is on disk.
  if (created) await syncDirectory(dirname(path));
  try {
    const stats = await handle.stat();
    // A device or a pipe has no end to repair or cut back to.
    if (!stats.isFile()) return new FileDestination(handle, path, undefined);
    return new FileDestination(handle, path, await cutIncompleteLine(handle, path, stats.size, logger));
  } catch (err) {
    await handle.close().catch(() => {});
    throw new OutputError(
      `The file output cannot check the last line of ${path}: ${osReason(err)}. Check that this user may read and write it.`,
      true,
    );
  }
}

/** How far back from the end of the file each read looks for the last newline. */
const TAIL_READ_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * A write interrupted by a crash or a full disk can leave a last line without its newline. Its rows
 * were never acknowledged (an acknowledged line always ends with one), so it is cut: otherwise the
 * next line written would be glued to it and both would be lost to an NDJSON reader. Returns the
 * size of the file once whole.
 */
async function cutIncompleteLine(
  handle: FileHandle,
  path: string,
  size: number,
  logger: Logger | undefined,
): Promise<number> {
  if (size === 0) return 0;
  // The write handle is append-only: reading the tail takes a handle of its own.
  const reader = await open(path, "r");
  let end = size;
  try {
    const buffer = Buffer.alloc(TAIL_READ_BYTES);
    let newline = -1;
    while (end > 0 && newline < 0) {
      const start = Math.max(0, end - TAIL_READ_BYTES);
      const { bytesRead } = await reader.read(buffer, 0, end - start, start);
      newline = buffer.subarray(0, bytesRead).lastIndexOf(NEWLINE);
      end = newline < 0 ? start : start + newline + 1;
      if (end === size) return size;
    }
  } finally {
    await reader.close();
  }
  await handle.truncate(end);
  const bytes = size - end;
  logger?.warn(
    { path, bytes },
    `${path} ended with an incomplete line (${bytes} bytes, from a write that was interrupted: disk full or a crash); cut it so that the file stays NDJSON. Its rows were never acknowledged and are delivered again.`,
  );
  return end;
}

async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms and file systems cannot sync a directory; the data itself is still synced.
  }
}

class FileDestination implements Destination {
  /** Set when a failed write's bytes are still in the file: the next write must cut them first. */
  private torn = false;

  /**
   * @param end the file's size after its last complete write, for a regular file (the file output is
   *   the file's only writer, so the size it counts is the file's); undefined for a device or a pipe.
   */
  constructor(
    private readonly handle: FileHandle,
    readonly description: string,
    private end: number | undefined,
  ) {}

  async write(text: string | Uint8Array): Promise<void> {
    const bytes = typeof text === "string" ? Buffer.from(text) : text;
    let written = 0;
    try {
      await this.cutBack();
      // write(2) may take only part of the bytes (a disk filling up, a file size limit): what it
      // took is not the whole chunk, and only the next call says why it stopped.
      while (written < bytes.length) {
        const { bytesWritten } = await this.handle.write(bytes, written, bytes.length - written);
        if (bytesWritten === 0) throw new Error("the system accepted no byte of the write");
        written += bytesWritten;
      }
    } catch (err) {
      if (written > 0 && this.end !== undefined) {
        this.torn = true;
        // Cutting frees space, so it works on a full disk; should it fail, the next write tries again.
        await this.cutBack().catch(() => {});
      }
      throw this.failure(err);
    }
    if (this.end !== undefined) this.end += bytes.length;
  }

  async sync(): Promise<void> {
    try {
      // Data and the file size are what an append needs back after a crash; datasync covers both.
      await this.handle.datasync();
    } catch (err) {
      throw this.failure(err);
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  /** Removes what a failed write left at the end of the file, which is then back on a line boundary. */
  private async cutBack(): Promise<void> {
    if (!this.torn || this.end === undefined) return;
    await this.handle.truncate(this.end);
    this.torn = false;
  }

  /** A write that fails mid-run (disk full, I/O error) may succeed on the next cycle: not fatal. */
  private failure(err: unknown): OutputError {
    return new OutputError(
      `The file output could not write to ${this.description}: ${osReason(err)}. The files in flight will be delivered again on the next cycle.`,
      false,
    );
  }
}

/**
 * Standard output: acknowledged once handed to the OS, since a pipe cannot be synced. A reader that
 * went away (`| head`) fails the write with EPIPE as the error's cause, for a command to tell apart.
 */
export function stdoutDestination(stream: NodeJS.WritableStream = process.stdout): Destination {
  return {
    description: "standard output",
    write: (text) =>
      new Promise<void>((resolve, reject) =>
        stream.write(text, (err) =>
          err
            ? reject(
                new OutputError(
                  `The file output could not write to standard output: ${osReason(err)}.`,
                  true,
                  { cause: err },
                ),
              )
            : resolve(),
        ),
      ),
    sync: async () => {},
    close: async () => {},
  };
}
