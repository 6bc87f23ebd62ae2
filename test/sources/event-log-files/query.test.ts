import { describe, expect, it } from "vitest";
import { discoveryQuery } from "../../../src/sources/event-log-files/query.js";

const since = new Date("2026-11-20T10:00:00.000Z");

describe("discoveryQuery", () => {
  it("filters on Interval only where the org has hourly files", () => {
    const hourly = discoveryQuery({
      interval: { mode: "hourly", orgHasHourly: true, reason: "" },
      eventTypes: [],
      since,
    });
    expect(hourly).toBe(
      "SELECT Id, EventType, LogDate, CreatedDate, Interval, Sequence, LogFileLength, LogFile, LogFileFieldNames FROM EventLogFile " +
        "WHERE Interval = 'Hourly' AND CreatedDate >= 2026-11-20T10:00:00Z ORDER BY CreatedDate ASC, Id ASC",
    );
    const dailyOnHourlyOrg = discoveryQuery({
      interval: { mode: "daily", orgHasHourly: true, reason: "" },
      eventTypes: [],
      since,
    });
    expect(dailyOnHourlyOrg).toContain("WHERE Interval = 'Daily' AND");
    const dailyOnly = discoveryQuery({
      interval: { mode: "daily", orgHasHourly: false, reason: "" },
      eventTypes: ["Login", "API"],
      since,
    });
    expect(dailyOnly).not.toMatch(/Interval|Sequence/);
    expect(dailyOnly).toContain("AND EventType IN ('Login', 'API')");
  });
});
