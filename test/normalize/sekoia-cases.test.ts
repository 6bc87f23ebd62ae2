import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createNormalizer } from "../../src/normalize/normalizer.js";
import { ecsTypeProblems, leaves, parsed } from "./ecs-types.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const casesDir = `${repo}../shared/fixtures/sekoia-format-cases/`;

/** The allowed differences, read from the table in docs/mapping.md so the two cannot drift. */
function allowedDifferences(): { field: string; cases: string[] | "all" }[] {
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

const caseFiles = readdirSync(casesDir).filter((f) => f.endsWith(".json"));
const differences = allowedDifferences();

describe("Sekoia.io's published Salesforce format cases", () => {
  it("are all there, and every listed difference names real cases", () => {
    expect(caseFiles).toHaveLength(13);
    const names = new Set(caseFiles.map((f) => f.replace(/\.json$/, "")));
    for (const d of differences) if (d.cases !== "all") for (const c of d.cases) expect(names).toContain(c);
  });

  for (const file of caseFiles) {
    const name = file.replace(/\.json$/, "");
    it(`${name}: every field Sekoia.io produces, with the same value, except the documented differences`, async () => {
      const { input, expected } = JSON.parse(readFileSync(casesDir + file, "utf8"));
      const { header, values } = asRow(input.message);
      const normalizer = await createNormalizer();
      const doc = parsed(normalizer.forHeader(header))(values);
      const allowed = new Set(
        differences.filter((d) => d.cases === "all" || d.cases.includes(name)).map((d) => d.field),
      );
      const actual = new Map(leaves(doc));
      const mismatches = leaves(expected)
        .filter(([path]) => !allowed.has(path))
        .filter(([path, value]) => !sameValue(path, value, actual.get(path)))
        .map(
          ([path, value]) =>
            `${path}: Sekoia.io ${JSON.stringify(value)}, sfevents ${JSON.stringify(actual.get(path))}`,
        );
      expect(mismatches).toEqual([]);
      // A listed difference must still be one, or the list is stale.
      const stale = leaves(expected)
        .filter(([path]) => allowed.has(path) && path !== "message")
        .filter(([path, value]) => sameValue(path, value, actual.get(path)))
        .map(([path]) => path);
      expect(stale).toEqual([]);
      expect(ecsTypeProblems(doc)).toEqual([]);
    });
  }
});
