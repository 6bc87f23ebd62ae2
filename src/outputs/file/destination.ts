import { constants, type FileHandle, open } from "node:fs/promises";
import { dirname } from "node:path";
import { mkdir } from "node:fs/promises";
import { OutputError } from "../output.js";

/** Where the file output's text goes: an appended file, or standard output. */
export interface Destination {
  readonly description: string;
  write(text: string): Promise<void>;
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

export async function openFileDestination(path: string): Promise<Destination> {
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
  return new FileDestination(handle, path);
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
  constructor(
    private readonly handle: FileHandle,
    readonly description: string,
  ) {}

  async write(text: string): Promise<void> {
    try {
      await this.handle.write(text);
    } catch (err) {
      throw this.failure(err);
    }
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

  /** A write that fails mid-run (disk full, I/O error) may succeed on the next cycle: not fatal. */
  private failure(err: unknown): OutputError {
    return new OutputError(
      `The file output could not write to ${this.description}: ${osReason(err)}. The files in flight will be delivered again on the next cycle.`,
      false,
    );
  }
}

/** Standard output: acknowledged once handed to the OS, since a pipe cannot be synced. */
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
                ),
              )
            : resolve(),
        ),
      ),
    sync: async () => {},
    close: async () => {},
  };
}
