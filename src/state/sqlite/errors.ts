import { StateError } from "../store.js";

/** Turns what SQLite or the file system said into a sentence naming the file and the fix. */
export function stateErrorFrom(err: unknown, path: string): StateError {
  if (err instanceof StateError) return err;
  const code = (err as { code?: unknown }).code;
  const reason = err instanceof Error ? err.message : String(err);
  switch (code) {
    case "SQLITE_BUSY":
    case "SQLITE_LOCKED":
      return new StateError(
        `The state database ${path} is locked by another process: is another sfevents collector running with the same state.path? Stop it, or give each collector its own state.path.`,
        { cause: err },
      );
    case "SQLITE_NOTADB":
    case "SQLITE_CORRUPT":
      return new StateError(
        `The state database ${path} is damaged or is not an SQLite database (${reason}). Restore it from a backup, or move it aside to start over: files within the lookback will then be collected again.`,
        { cause: err },
      );
    case "SQLITE_READONLY":
      return new StateError(
        `The state database ${path} is read-only (${reason}): make the file writable by the user running sfevents, or give a state.path on a writable file system.`,
        { cause: err },
      );
    case "SQLITE_PERM":
    case "SQLITE_CANTOPEN":
    case "EACCES":
    case "EPERM":
    case "EROFS":
    case "ENOTDIR":
      return new StateError(
        `The state database ${path} cannot be opened for writing (${reason}). Check that state.path names a file in a directory this user can write.`,
        { cause: err },
      );
    case "SQLITE_FULL":
    case "ENOSPC":
      return new StateError(
        `The state database ${path} cannot be written: the disk is full. Free some space; the files in flight will be delivered again.`,
        { cause: err },
      );
    default:
      return new StateError(`The state database ${path} failed: ${reason}.`, { cause: err });
  }
}
