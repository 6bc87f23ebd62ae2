import { ExplainedError } from "../core/errors.js";
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { output, ZodIssue, ZodTypeAny } from "zod";
import { stateSection } from "./schema.js";

/** A configuration mistake: the message names the key and what is expected, never a stack trace. */
export class ConfigError extends ExplainedError {
  constructor(message: string) {
    super(message, "stop");
  }
}

/** Where a key of a document is, as a message names it: "salesforce.url", "orgs[1].salesforce.url". */
export type Place = (path: readonly (string | number)[]) => string;

/** Keys named by their dotted path below `at`. */
export const dotted =
  (at: readonly string[] = []): Place =>
  (path) =>
    [...at, ...path].join(".");

interface UnsetVariable {
  path: string[];
  name: string;
}

/**
 * Replaces ${VAR} in every string of the parsed document (not in the raw text, so a value can never
 * break the YAML around it). `$${` escapes a literal `${`.
 */
function expandEnv(
  value: unknown,
  path: string[],
  env: NodeJS.ProcessEnv,
  missing: UnsetVariable[],
): unknown {
  if (typeof value === "string") {
    return value.replace(/\$?\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (match, name: string) => {
      if (match.startsWith("$$")) return match.slice(1);
      const v = env[name];
      if (v === undefined || v === "") {
        missing.push({ path, name });
        return "";
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, [...path, String(i)], env, missing));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, expandEnv(v, [...path, k], env, missing)]),
    );
  }
  return value;
}

/** One mistake in words; `key` is where it is, as the message names it. */
export function describeIssue(issue: ZodIssue, key = issue.path.join(".") || "(top level)"): string {
  if (issue.code === "unrecognized_keys") {
    return `${key === "(top level)" ? "" : `${key}: `}unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'`).join(", ")}`;
  }
  if (issue.code === "invalid_type" && issue.received === "undefined") {
    return `${key}: is required${issue.message && issue.message !== "Required" ? ` (${issue.message})` : ""}`;
  }
  // YAML reads unquoted digits (a numeric client secret or intake key) as a number. The value is
  // not shown: it may be a secret.
  if (issue.code === "invalid_type" && issue.expected === "string" && issue.received === "number") {
    return `${key}: expected text, got a number: quote the value (${String(issue.path.at(-1))}: "…"), since YAML reads unquoted digits as a number`;
  }
  if (issue.code === "invalid_enum_value") {
    return `${key}: expected one of ${issue.options.join(", ")}, got '${String(issue.received)}'`;
  }
  return `${key}: ${issue.message}`;
}

/**
 * A document with ${VAR}s expanded, checked by `schema`: its value, or every mistake, each naming
 * its key as `place` says (a dotted path by default).
 */
export function checked<T extends ZodTypeAny>(
  schema: T,
  document: unknown,
  env: NodeJS.ProcessEnv,
  place: Place = dotted(),
): { ok: true; value: output<T> } | { ok: false; problems: string[] } {
  const missing: UnsetVariable[] = [];
  const expanded = expandEnv(document ?? {}, [], env, missing);
  const result = schema.safeParse(expanded);
  // A key whose variable is unset holds what is left of it (often ""): its own complaint would
  // only repeat, less clearly, the line naming the variable.
  const unsetKeys = new Set(missing.map((m) => m.path.join(".")));
  const issues = result.success
    ? []
    : result.error.issues.filter((issue) => !unsetKeys.has(issue.path.join(".")));
  const problems = [
    ...missing.map((m) => `${place(m.path)}: environment variable ${m.name} is not set`),
    ...issues.map((issue) =>
      describeIssue(issue, issue.path.length === 0 && place([]) === "" ? undefined : place(issue.path)),
    ),
  ];
  if (problems.length > 0 || !result.success) return { ok: false, problems };
  return { ok: true, value: result.data };
}

/** The ConfigError listing every problem of `source` (a file, a section), one a line. */
export function invalid(source: string, problems: readonly string[]): ConfigError {
  return new ConfigError(`${source} is not valid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}

/**
 * A document (or the section of one at `at`) with ${VAR}s expanded, validated by `schema`; every
 * mistake is listed at once, each naming its key.
 */
export function validated<T extends ZodTypeAny>(
  schema: T,
  document: unknown,
  env: NodeJS.ProcessEnv,
  source: string,
  at: string[] = [],
): output<T> {
  const result = checked(schema, document, env, dotted(at));
  if (!result.ok) throw invalid(source, result.problems);
  return result.value;
}

/** Reads and parses a YAML (or JSON) file, with a message naming the file when that fails. */
export function readDocument(path: string, what = "file"): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === "ENOENT" ? `${what} ${path} does not exist` : `cannot read ${path}: ${(err as Error).message}`,
    );
  }
  try {
    return parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new ConfigError(`${path} is not valid YAML: ${(err as Error).message}`);
  }
}

/**
 * Only the `state` section of a configuration file, validated as in the whole file: what the state
 * commands need, without the secrets the rest of the file takes from the environment.
 */
export function loadStateSettings(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): output<typeof stateSection> {
  const document = readDocument(path, "configuration file") as { state?: unknown } | null;
  return validated(stateSection, document?.state, env, path, ["state"]);
}
