import { accessSync, constants, existsSync } from "node:fs";
import { dirname } from "node:path";
import type { Finding } from "../../core/finding.js";

/**
 * Whether `path` could be written, without writing anything: the file, or the nearest folder that
 * exists on the way to it, must be writable (a check creates nothing).
 */
export function checkWritable(title: string, path: string): Finding {
  let existing = existsSync(path) ? path : dirname(path);
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    accessSync(existing, constants.W_OK);
    return {
      status: "ok",
      title,
      detail:
        existing === path || existing === dirname(path) ? `${path} can be written` : `${path} can be created`,
    };
  } catch (err) {
    return {
      status: "fail",
      title,
      detail: `cannot write ${path}: ${(err as Error).message}`,
      fix: "choose a path in a directory the collector's user can write",
    };
  }
}
