import { describe, expect, it } from "vitest";
import {
  allowedDifferences,
  itMatchesSekoia,
  OWN_CASES_DIR,
  readCases,
  SEKOIA_CASE_NAMES,
  unknownCases,
} from "./sekoia-format.js";

/**
 * The project's own cases for the mapping Sekoia.io's published cases check (see
 * sekoia-cases.test.ts), so a clone with nothing beside it checks it too: rows the simulator
 * generates, each with the document Sekoia.io's Salesforce parser makes of it by its rules (its
 * compact-TIMESTAMP quirk included), the `message` copy of the raw event left out.
 */
describe("sfevents' own Salesforce format cases", () => {
  const cases = readCases(OWN_CASES_DIR);
  const differences = allowedDifferences();

  it("cover the event types Sekoia.io's cases do and more, and every listed difference names a case", () => {
    const types = cases.map((c) => (JSON.parse(c.input.message) as { EVENT_TYPE: string }).EVENT_TYPE);
    expect(new Set(types)).toEqual(
      new Set([
        "ApexExecution",
        "ApexRestApi",
        "API",
        "ApiTotalUsage",
        "ContentTransfer",
        "DatabaseSave",
        "LightningPageView",
        "Login",
        "Logout",
        "Report",
        "ReportExport",
        "RestApi",
        "URI",
      ]),
    );
    expect(unknownCases(differences, [...SEKOIA_CASE_NAMES, ...cases.map((c) => c.name)])).toEqual([]);
  });

  for (const c of cases) itMatchesSekoia(c, differences);
});
