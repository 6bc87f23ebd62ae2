import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { createNormalizer } from "../../src/normalize/normalizer.js";
import { ecsTypeProblems, leaves, parsed } from "./ecs-types.js";

/**
 * Comparing sfevents' ECS documents with what Sekoia.io's Salesforce format makes of the same row,
 * for two sets of cases in one shape ({ input: { message }, expected }): the ones Sekoia.io
 * publishes, beside the project in its CI checkout, and the project's own.
 */

const repo = fileURLToPath(new URL("../../", import.meta.url));

/** Sekoia.io's published cases, where the project's CI checks them out (absent from a plain clone). */
export const SEKOIA_CASES_DIR = `${repo}../shared/fixtures/sekoia-format-cases/`;

/** The names of Sekoia.io's published cases, so docs/mapping.md can be checked without them. */
export const SEKOIA_CASE_NAMES = [
  "salesforce_apex_execution",
  "salesforce_apex_rest_api",
  "salesforce_api_event",
  "salesforce_api_total_usage",
  "salesforce_audit_event",
  "salesforce_complete_event",
  "salesforce_complete_event_1",
  "salesforce_content_transfer_event",
  "salesforce_database_save_event",
  "salesforce_login_event",
  "salesforce_login_event_1",
  "salesforce_login_event_invalid_client_ip",
  "salesforce_report_event",
];

/**
 * The project's own cases: rows of the simulator (a hand-written one for DatabaseSave, which it
 * does not generate), each with the document Sekoia.io's parser rules give for it.
 */
export const OWN_CASES_DIR = fileURLToPath(new URL("./fixtures/sekoia-format/", import.meta.url));

export interface FormatCase {
  name: string;
  input: { message: string };
  expected: Record<string, unknown>;
}

export function readCases(dir: string): FormatCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ name: f.replace(/\.json$/, ""), ...JSON.parse(readFileSync(dir + f, "utf8")) }));
}

export interface Difference {
  field: string;
  cases: string[] | "all";
}

/** The allowed differences, read from the table in docs/mapping.md so the two cannot drift. */
export function allowedDifferences(): Difference[] {
  const doc = readFileSync(`${repo}docs/mapping.md`, "utf8");
  const table = doc.split("<!-- sekoia-differences:start -->")[1].split("<!-- sekoia-differences:end -->")[0];
  return table
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) => {
      const [field, cases] = line.split("|").slice(1, 3);
      const names = [...cases.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
      return { field: field.trim().replace(/`/g, ""), cases: cases.trim() === "all" ? "all" : names };
    });
}

/** The cases the differences table names that are not among `known`: a typo, or a case gone. */
export function unknownCases(differences: Difference[], known: Iterable<string>): string[] {
  const names = new Set(known);
  return differences.flatMap((d) =>
    d.cases === "all" ? [] : d.cases.filter((c) => !names.has(c)).map((c) => `${d.field}: ${c}`),
  );
}

/** A Sekoia.io input is a JSON object; Salesforce writes every value as a string. */
function asRow(message: string): { header: string[]; values: string[] } {
  const row = JSON.parse(message) as Record<string, unknown>;
  const header = Object.keys(row);
  return {
    header,
    values: header.map((k) => (typeof row[k] === "string" ? (row[k] as string) : JSON.stringify(row[k]))),
  };
}

function sameValue(path: string, expected: unknown, actual: unknown): boolean {
  if (path === "@timestamp" || path === "event.start")
    return typeof actual === "string" && Date.parse(actual) === Date.parse(expected as string);
  // Lists: everything Sekoia.io lists is listed (sfevents may relate more addresses or users).
  if (Array.isArray(expected))
    return (
      Array.isArray(actual) &&
      expected.every((v) => actual.some((a) => JSON.stringify(a) === JSON.stringify(v)))
    );
  return JSON.stringify(expected) === JSON.stringify(actual);
}

/**
 * A test that the case's row gets every field Sekoia.io produces, with the same value, except the
 * differences docs/mapping.md lists for it, and that each of those is still a difference.
 */
export function itMatchesSekoia(c: FormatCase, differences: Difference[]): void {
  it(`${c.name}: every field Sekoia.io produces, with the same value, except the documented differences`, async () => {
    const { header, values } = asRow(c.input.message);
    const normalizer = await createNormalizer();
    const doc = parsed(normalizer.forHeader(header))(values);
    const allowed = new Set(
      differences.filter((d) => d.cases === "all" || d.cases.includes(c.name)).map((d) => d.field),
    );
    const actual = new Map(leaves(doc));
    const mismatches = leaves(c.expected)
      .filter(([path]) => !allowed.has(path))
      .filter(([path, value]) => !sameValue(path, value, actual.get(path)))
      .map(
        ([path, value]) =>
          `${path}: Sekoia.io ${JSON.stringify(value)}, sfevents ${JSON.stringify(actual.get(path))}`,
      );
    expect(mismatches).toEqual([]);
    // A listed difference must still be one, or the list is stale.
    const stale = leaves(c.expected)
      .filter(([path]) => allowed.has(path) && path !== "message")
      .filter(([path, value]) => sameValue(path, value, actual.get(path)))
      .map(([path]) => path);
    expect(stale).toEqual([]);
    // A difference listed for this case by name must be about a field Sekoia.io produces for it.
    const expectedPaths = new Set(leaves(c.expected).map(([path]) => path));
    const named = differences.filter((d) => d.cases !== "all" && d.cases.includes(c.name));
    expect(named.map((d) => d.field).filter((field) => !expectedPaths.has(field))).toEqual([]);
    expect(ecsTypeProblems(doc)).toEqual([]);
  });
}
