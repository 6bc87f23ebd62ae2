import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  allowedDifferences,
  itMatchesSekoia,
  OWN_CASES_DIR,
  readCases,
  SEKOIA_CASE_NAMES,
  SEKOIA_CASES_DIR,
  unknownCases,
} from "./sekoia-format.js";

/**
 * Sekoia.io's published cases live beside the project, not in it: a clone with nothing beside it
 * skips them, and test/normalize/sekoia-own-cases.test.ts checks the same mapping on the project's
 * own cases.
 */
const present = existsSync(SEKOIA_CASES_DIR);
if (!present)
  console.log(
    "skipped: ../shared/fixtures/sekoia-format-cases/ not found; these are Sekoia.io's published cases, " +
      "present in the project's CI checkout",
  );

describe.skipIf(!present)("Sekoia.io's published Salesforce format cases", () => {
  const cases = present ? readCases(SEKOIA_CASES_DIR) : [];
  const differences = allowedDifferences();

  it("are all there, and every listed difference names real cases", () => {
    expect(cases).toHaveLength(13);
    expect(cases.map((c) => c.name)).toEqual(SEKOIA_CASE_NAMES);
    const own = readCases(OWN_CASES_DIR).map((c) => c.name);
    expect(unknownCases(differences, [...cases.map((c) => c.name), ...own])).toEqual([]);
  });

  for (const c of cases) itMatchesSekoia(c, differences);
});
