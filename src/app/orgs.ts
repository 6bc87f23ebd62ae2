import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { checked, invalid, type Place, readDocument } from "../config/load.js";
import { type Config, configSchema } from "./config.js";

/**
 * Several orgs in one configuration: `orgs` (a list), `orgs_dir` (a file per org) and `defaults`
 * (what every org inherits). Each org's settings, merged over the defaults, are validated by the
 * single-org schema itself; the process keeps one state, one dead-letter file, one metrics listener
 * and one log level for all of them.
 */

/** The keys an org has of its own, in an entry of `orgs`, a file of `orgs_dir` or `defaults`. */
export const ORG_KEYS = [
  "salesforce",
  "event_log_files",
  "objects",
  "streams",
  "outputs",
  "enrich",
  "tls",
  "limits",
] as const;
/** The sections set once for the process, at the top of the file: the one list of them. */
const PROCESS_SECTIONS = {
  state: true,
  threads: true,
  dead_letters: true,
  metrics: true,
  log: true,
} as const;
export const PROCESS_KEYS = Object.keys(PROCESS_SECTIONS) as (keyof typeof PROCESS_SECTIONS)[];

/** An org's name: in its source ids in the state, its log lines, metrics and dead letters. */
const ORG_NAME = /^[a-z0-9_-]{1,63}$/;
const ORG_NAME_RULE = "lowercase letters, digits, - and _ (at most 63)";

/** The file's own keys when it lists orgs: the process's sections, and where the orgs are. */
export const collectionSchema = configSchema
  .pick(PROCESS_SECTIONS)
  .extend({
    // Checked org by org, each merged over the defaults, by the single-org schema.
    defaults: z.record(z.unknown()).optional(),
    orgs: z.array(z.record(z.unknown())).optional(),
    orgs_dir: z.string().min(1).optional(),
  })
  .strict();

export type ProcessConfig = Pick<Config, (typeof PROCESS_KEYS)[number]>;

export interface OrgConfig {
  /** Undefined for a single-org configuration, whose state ids and log lines carry no org. */
  name?: string;
  /** Where it is configured, as messages name it: `orgs[1]`, `orgs.d/globex.yaml`. */
  from: string;
  config: Config;
}

export interface Collection {
  /** Orgs are named (`orgs`, `orgs_dir`): their source ids in the state are prefixed with their names. */
  multi: boolean;
  process: ProcessConfig;
  /** What every org inherits (`defaults`). */
  defaults: Record<string, unknown>;
  /** The orgs the file itself configures (all of them for a single-org file). */
  orgs: OrgConfig[];
  orgsDir?: string;
}

type Document = Record<string, unknown>;

const isObject = (value: unknown): value is Document =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** Whether the file lists orgs rather than being one org's. */
export function listsOrgs(document: unknown): boolean {
  return isObject(document) && ["orgs", "orgs_dir", "defaults"].some((key) => key in document);
}

/** The configuration of a file: one org (today's shape) or several; every mistake listed at once. */
export function parseCollection(
  document: unknown,
  env: NodeJS.ProcessEnv = process.env,
  source = "config",
): Collection {
  if (!listsOrgs(document)) {
    const result = checked(configSchema, document, env);
    if (!result.ok) throw invalid(source, result.problems);
    const config = result.value;
    return { multi: false, process: processOf(config), defaults: {}, orgs: [{ from: source, config }] };
  }
  const doc = document as Document;
  const problems: string[] = [];
  for (const key of ORG_KEYS)
    if (key in doc)
      problems.push(
        `${key}: with orgs or orgs_dir, an org's settings go in its entry (or under defaults, for every org)`,
      );
  // Org entries and defaults have their ${VAR}s expanded, and are checked, org by org below.
  const { orgs: rawOrgs, defaults: rawDefaults, ...own } = doc;
  const shapes: string[] = [];
  if (rawDefaults !== undefined && !isObject(rawDefaults))
    shapes.push("defaults: expected the keys every org inherits (salesforce, outputs, ...)");
  if (rawOrgs !== undefined && (!Array.isArray(rawOrgs) || !rawOrgs.every(isObject)))
    shapes.push("orgs: expected a list of orgs, each with its name, salesforce and outputs");
  const top = checked(
    collectionSchema,
    Object.fromEntries(Object.entries(own).filter(([key]) => !(ORG_KEYS as readonly string[]).includes(key))),
    env,
  );
  if (!top.ok || shapes.length > 0)
    throw invalid(source, [...problems, ...shapes, ...(top.ok ? [] : top.problems)]);
  const defaults = (rawDefaults ?? {}) as Document;
  const entries = (rawOrgs ?? []) as Document[];
  const { orgs_dir: orgsDir, ...rest } = top.value;
  const processConfig = rest as ProcessConfig;
  problems.push(...misplacedKeys(defaults, "defaults"));
  if (entries.length === 0 && orgsDir === undefined)
    problems.push("orgs: list at least one org, or set orgs_dir to a folder of org files");
  const orgs: OrgConfig[] = [];
  const firstNamed = new Map<string, string>();
  entries.forEach((entry, i) => {
    const at = `orgs[${i}]`;
    const named = entry.name;
    if (named === undefined) problems.push(`${at}.name: is required (${ORG_NAME_RULE})`);
    else if (typeof named !== "string" || !ORG_NAME.test(named))
      problems.push(`${at}.name: expected ${ORG_NAME_RULE}, such as acme or acme-eu`);
    else if (firstNamed.has(named))
      problems.push(`${at}.name: ${named} is already the name of ${firstNamed.get(named)}`);
    else firstNamed.set(named, at);
    const org = orgOf(entry, { defaults, process: processConfig, env, from: at, name: named as string });
    if ("problems" in org) problems.push(...org.problems);
    else orgs.push(org);
  });
  if (problems.length > 0) throw invalid(source, [...new Set(problems)]);
  return {
    multi: true,
    process: processConfig,
    defaults,
    orgs,
    ...(orgsDir === undefined ? {} : { orgsDir }),
  };
}

export function loadCollection(path: string, env: NodeJS.ProcessEnv = process.env): Collection {
  return parseCollection(readDocument(path, "configuration file"), env, path);
}

/** The process's sections of a single-org configuration. */
function processOf(config: Config): ProcessConfig {
  return Object.fromEntries(PROCESS_KEYS.map((key) => [key, config[key]])) as ProcessConfig;
}

interface OrgContext {
  defaults: Document;
  process: ProcessConfig;
  env: NodeJS.ProcessEnv;
  /** `orgs[1]`, or "" for the keys of an org file, which its file name introduces. */
  from: string;
  name: string;
}

/** An org's entry merged over the defaults and validated by the single-org schema. */
function orgOf(entry: Document, context: OrgContext): OrgConfig | { problems: string[] } {
  const { name: _name, ...own } = entry;
  const problems = misplacedKeys(own, context.from);
  const result = checked(
    configSchema,
    merged(context.defaults, withoutProcessKeys(own)),
    context.env,
    placeIn(own, context.defaults, context.from),
  );
  if (!result.ok) return { problems: [...problems, ...result.problems] };
  if (problems.length > 0) return { problems };
  // The process's sections are the file's top ones, whatever the schema's defaults say.
  return { name: context.name, from: context.from, config: { ...result.value, ...context.process } };
}

/** A process key (state, ...) where an org's settings go: said, then left out of the org's check. */
function misplacedKeys(section: Document, at: string): string[] {
  return PROCESS_KEYS.filter((key) => key in section).map(
    (key) => `${at ? `${at}.` : ""}${key}: is set once for every org, at the top of the configuration file`,
  );
}

function withoutProcessKeys(section: Document): Document {
  return Object.fromEntries(
    Object.entries(section).filter(([key]) => !(PROCESS_KEYS as readonly string[]).includes(key)),
  );
}

/** Sections merged key by key, the org's own values winning; a list or a value replaces the default. */
export function merged(defaults: unknown, own: unknown): unknown {
  if (own === undefined) return defaults;
  if (!isObject(defaults) || !isObject(own)) return own;
  const out: Document = { ...defaults };
  for (const [key, value] of Object.entries(own)) out[key] = merged(defaults[key], value);
  return out;
}

function has(section: unknown, path: readonly (string | number)[]): boolean {
  let at = section;
  for (const key of path) {
    if (at === null || typeof at !== "object" || !(String(key) in at)) return false;
    at = (at as Document)[String(key)];
  }
  return true;
}

/** Names a key where it was written: in the org's entry, or under defaults when it came from there. */
function placeIn(own: Document, defaults: Document, from: string): Place {
  return (path) => {
    const where = path.length > 0 && !has(own, path) && has(defaults, path) ? "defaults" : from;
    const key = path.join(".");
    if (where === "") return key;
    return key === "" ? where : `${where}.${key}`;
  };
}

/** One file of `orgs_dir`, as read: its org, or why it cannot be collected. */
export interface OrgFile {
  /** Its path, as messages name it: `orgs.d/globex.yaml`. */
  path: string;
  /** Its text: a file whose text did not change is not read again. */
  text: string;
  org?: OrgConfig;
  /** A ConfigError's message, when the file cannot be collected. */
  problem?: string;
}

const ORG_FILE = /\.ya?ml$/;

/** The org files of the folder, by file name, in name order; a folder that is not there has none. */
export function orgFileNames(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => ORG_FILE.test(name) && !name.startsWith("."))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/** Reads one org file; `undefined` when it is gone. */
export function readOrgFile(
  collection: Collection,
  dir: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): OrgFile | undefined {
  const path = join(dir, file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return { path, text: "", problem: `cannot read ${path}: ${(err as Error).message}` };
  }
  return { path, text, ...orgFileContent(collection, path, file, text, env) };
}

function orgFileContent(
  collection: Collection,
  path: string,
  file: string,
  text: string,
  env: NodeJS.ProcessEnv,
): { org: OrgConfig } | { problem: string } {
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true }) ?? {};
  } catch (err) {
    return { problem: `${path} is not valid YAML: ${(err as Error).message}` };
  }
  if (!isObject(document)) return { problem: `${path} is not valid:\n  - expected the keys of one org` };
  const named = document.name ?? file.slice(0, -extname(file).length);
  const problems: string[] = [];
  if (typeof named !== "string" || !ORG_NAME.test(named))
    problems.push(
      `name: expected ${ORG_NAME_RULE}${document.name === undefined ? " (the file name without its extension, unless the file sets name)" : ""}`,
    );
  const org = orgOf(document, {
    defaults: collection.defaults,
    process: collection.process,
    env,
    from: "",
    name: named as string,
  });
  if ("problems" in org) problems.push(...org.problems);
  if (problems.length > 0) return { problem: invalid(path, problems).message };
  return { org: { ...(org as OrgConfig), from: path } };
}
