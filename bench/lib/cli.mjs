import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The built command line, run as users run it. */
const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

/**
 * Node's arguments for a measured sfevents process: the CLI, after `--cpu-prof` into
 * .bench/profiles/<scenario>/<role>/ when the run profiles (BENCH_PROFILE=1).
 */
export function sfevents(context, scenario, role, args) {
  if (!context.options.profile) return [CLI, ...args];
  return ["--cpu-prof", "--cpu-prof-dir", join(context.profileDir, scenario, role), CLI, ...args];
}
