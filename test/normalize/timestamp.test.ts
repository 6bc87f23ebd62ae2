import { describe, expect, it } from "vitest";
import { parseSalesforceTime } from "../../src/normalize/timestamp.js";

describe("parseSalesforceTime", () => {
  it("reads TIMESTAMP as the date it is, with or without milliseconds", () => {
    expect(parseSalesforceTime("20241029112721.500")).toBe("2024-10-29T11:27:21.500Z");
    expect(parseSalesforceTime("20220803011210")).toBe("2022-08-03T01:12:10.000Z");
    expect(parseSalesforceTime("20240229235959.9")).toBe("2024-02-29T23:59:59.900Z");
  });

  it("keeps TIMESTAMP_DERIVED, and brings other ISO forms and epoch milliseconds to UTC", () => {
    expect(parseSalesforceTime("2015-07-27T11:32:59.555Z")).toBe("2015-07-27T11:32:59.555Z");
    expect(parseSalesforceTime("2023-07-03T11:30:00Z")).toBe("2023-07-03T11:30:00.000Z");
    expect(parseSalesforceTime("2023-07-03T13:30:00+02:00")).toBe("2023-07-03T11:30:00.000Z");
    expect(parseSalesforceTime("1471564788642")).toBe("2016-08-18T23:59:48.642Z");
  });

  it("refuses what is not a time", () => {
    for (const value of [
      "20230229120000",
      "20241329112721.500",
      "20241029256000",
      "9998.0",
      "2023-07-01",
      "abc",
      "",
    ])
      expect(parseSalesforceTime(value), value).toBeUndefined();
  });
});
