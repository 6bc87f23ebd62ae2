import { describe, expect, it } from "vitest";
import { dateLiteralArity, dateLiteralRange } from "../../../src/simulator/soql/date-literals.js";
import { parseSoql, prepareQuery } from "../../../src/simulator/soql/index.js";
import { lookup } from "./event-log-file.fixture.js";

const at = (iso: string) => Date.parse(iso);
const range = (name: string, n: number | undefined, now: string) => {
  const r = dateLiteralRange(name, n, at(now));
  return [new Date(r.start).toISOString(), new Date(r.end).toISOString()];
};

describe("date literal ranges (UTC, weeks from Sunday)", () => {
  it.each([
    ["YESTERDAY", undefined, "2026-11-20T15:00:00Z", "2026-11-19", "2026-11-20"],
    ["TODAY", undefined, "2026-11-20T00:00:00Z", "2026-11-20", "2026-11-21"],
    ["TOMORROW", undefined, "2026-12-31T23:59:59.999Z", "2027-01-01", "2027-01-02"],
    ["THIS_WEEK", undefined, "2026-11-20T15:00:00Z", "2026-11-15", "2026-11-22"],
    ["THIS_WEEK", undefined, "2026-11-21T23:59:59.999Z", "2026-11-15", "2026-11-22"],
    ["THIS_WEEK", undefined, "2026-11-22T00:00:00Z", "2026-11-22", "2026-11-29"],
    ["LAST_WEEK", undefined, "2026-11-20T15:00:00Z", "2026-11-08", "2026-11-15"],
    ["NEXT_WEEK", undefined, "2026-11-20T15:00:00Z", "2026-11-22", "2026-11-29"],
    ["THIS_MONTH", undefined, "2026-12-31T23:00:00Z", "2026-12-01", "2027-01-01"],
    ["LAST_MONTH", undefined, "2026-03-31T12:00:00Z", "2026-02-01", "2026-03-01"],
    ["NEXT_MONTH", undefined, "2026-01-31T12:00:00Z", "2026-02-01", "2026-03-01"],
    ["LAST_N_DAYS", 1, "2026-11-20T15:00:00Z", "2026-11-19", "2026-11-21"],
    ["LAST_N_DAYS", 30, "2026-11-20T15:00:00Z", "2026-10-21", "2026-11-21"],
    ["LAST_90_DAYS", undefined, "2026-11-20T15:00:00Z", "2026-08-22", "2026-11-21"],
    ["NEXT_N_DAYS", 2, "2026-11-20T15:00:00Z", "2026-11-21", "2026-11-23"],
    ["N_DAYS_AGO", 0, "2026-11-20T15:00:00Z", "2026-11-20", "2026-11-21"],
    ["N_DAYS_AGO", 3, "2026-11-20T15:00:00Z", "2026-11-17", "2026-11-18"],
  ])("%s:%s at %s is [%s, %s)", (name, n, now, start, end) => {
    expect(range(name, n, now)).toEqual([`${start}T00:00:00.000Z`, `${end}T00:00:00.000Z`]);
  });

  it("counts hours like days: LAST_N_HOURS:n holds the current hour and the n before it", () => {
    expect(range("LAST_N_HOURS", 2, "2026-11-20T15:20:00Z")).toEqual([
      "2026-11-20T13:00:00.000Z",
      "2026-11-20T16:00:00.000Z",
    ]);
    expect(range("NEXT_N_HOURS", 2, "2026-11-20T15:20:00Z")).toEqual([
      "2026-11-20T16:00:00.000Z",
      "2026-11-20T18:00:00.000Z",
    ]);
  });

  it("knows which literals take a count", () => {
    expect(dateLiteralArity("YESTERDAY")).toBe("fixed");
    expect(dateLiteralArity("LAST_N_DAYS")).toBe("counted");
    expect(dateLiteralArity("THIS_FISCAL_YEAR")).toBeUndefined();
    expect(dateLiteralArity("toString")).toBeUndefined();
  });

  it("compares at the edges of a range: < before its start, <= before its end, > from its end", () => {
    // Each record's Id is its day and hour, enough to tell the four instants apart.
    const edge = (iso: string) => ({ Id: iso.slice(8, 13), CreatedDate: at(iso) });
    const records = [
      "2026-11-18T23:59:59.999Z",
      "2026-11-19T00:00:00Z",
      "2026-11-19T23:59:59.999Z",
      "2026-11-20T00:00:00Z",
    ].map(edge);
    const ids = (where: string) =>
      prepareQuery(parseSoql(`SELECT Id FROM EventLogFile WHERE CreatedDate ${where}`), lookup)
        .run(records, new Date("2026-11-20T15:00:00Z"))
        .map((r) => r.Id);
    expect(ids("< YESTERDAY")).toEqual(["18T23"]);
    expect(ids("<= YESTERDAY")).toEqual(["18T23", "19T00", "19T23"]);
    expect(ids("= YESTERDAY")).toEqual(["19T00", "19T23"]);
    expect(ids("> YESTERDAY")).toEqual(["20T00"]);
    expect(ids(">= YESTERDAY")).toEqual(["19T00", "19T23", "20T00"]);
    expect(ids("!= YESTERDAY")).toEqual(["18T23", "20T00"]);
  });
});
