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

/**
 * Replaces ${VAR} in every string of the parsed document (not in the raw text, so a value can never
 * break the YAML around it). `$${` escapes a literal `${`.
 */
interface UnsetVariable {
  key: string;
  name: string;
}

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
        missing.push({ key: path.join("."), name });
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

export function describeIssue(issue: ZodIssue): string {
  const key = issue.path.join(".") || "(top level)";
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
  const missing: UnsetVariable[] = [];
  const expanded = expandEnv(document ?? {}, at, env, missing);
  const result = schema.safeParse(expanded);
  // A key whose variable is unset holds what is left of it (often ""): its own complaint would
  // only repeat, less clearly, the line naming the variable.
  const unsetKeys = new Set(missing.map((m) => m.key));
  const issues = result.success
    ? []
    : result.error.issues
        .map((issue) => ({ ...issue, path: [...at, ...issue.path] }))
        .filter((issue) => !unsetKeys.has(issue.path.join(".")));
  const problems = [
    ...missing.map((m) => `${m.key}: environment variable ${m.name} is not set`),
    ...issues.map(describeIssue),
  ];
  if (problems.length > 0 || !result.success) {
    throw new ConfigError(`${source} is not valid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  return result.data;
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
