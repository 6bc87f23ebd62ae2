/**
 * An EventLogFile schema and a handful of files for the engine's tests. The simulator's server defines
 * the real schema; this one follows the field list of the object's documentation.
 */
import type { SObjectSchema, SoqlRecord } from "../../../src/simulator/soql/index.js";

export const EVENT_LOG_FILE: SObjectSchema = {
  name: "EventLogFile",
  fields: [
    { name: "Id", type: "id" },
    { name: "EventType", type: "picklist" },
    { name: "LogDate", type: "datetime" },
    { name: "CreatedDate", type: "datetime" },
    { name: "Interval", type: "picklist" },
    { name: "Sequence", type: "int" },
    { name: "LogFile", type: "base64", filterable: false, sortable: false },
    { name: "LogFileLength", type: "double" },
    { name: "LogFileContentType", type: "string" },
    { name: "LogFileFieldNames", type: "string", filterable: false, sortable: false },
    { name: "ApiVersion", type: "double" },
    { name: "IsDeleted", type: "boolean" },
    { name: "CreatedById", type: "reference" },
  ],
};

/** The same object in an org without hourly files: Interval and Sequence do not exist. */
export const DAILY_ONLY_EVENT_LOG_FILE: SObjectSchema = {
  name: "EventLogFile",
  fields: EVENT_LOG_FILE.fields.filter((f) => f.name !== "Interval" && f.name !== "Sequence"),
};

export const lookup = (name: string) => (name.toLowerCase() === "eventlogfile" ? EVENT_LOG_FILE : undefined);

/** Friday 2026-11-20 15:00 UTC; the week began on Sunday the 15th. */
export const NOW = new Date("2026-11-20T15:00:00Z");

const t = (iso: string) => Date.parse(iso);

function file(
  n: string,
  eventType: string,
  interval: string | null,
  sequence: number | null,
  logDate: string,
  createdDate: string,
  length: number | null,
): SoqlRecord {
  return {
    Id: `0AT0000000000${n}GAA`,
    EventType: eventType,
    LogDate: t(logDate),
    CreatedDate: t(createdDate),
    Interval: interval,
    Sequence: sequence,
    LogFile: `/services/data/v64.0/sobjects/EventLogFile/0AT0000000000${n}GAA/LogFile`,
    LogFileLength: length,
    LogFileContentType: "CSV",
    LogFileFieldNames: "EVENT_TYPE,TIMESTAMP",
    ApiVersion: 64,
    IsDeleted: false,
    CreatedById: "005000000000001AAA",
  };
}

/** Listed in an order that differs from every sort the tests ask for. */
export const FILES: SoqlRecord[] = [
  file("04", "URI", "Hourly", 1, "2026-11-20T10:00:00Z", "2026-11-20T12:00:00Z", 900),
  file("02", "API", "Hourly", 1, "2026-11-20T09:00:00Z", "2026-11-20T10:00:00Z", 2692),
  file("01", "Login", "Hourly", 1, "2026-11-20T09:00:00Z", "2026-11-20T10:00:00Z", 100),
  file("03", "Login", "Hourly", 2, "2026-11-20T09:00:00Z", "2026-11-20T11:30:00.250Z", 50),
  file("05", "Login", "Daily", 0, "2026-11-19T00:00:00Z", "2026-11-20T03:00:00Z", 5000),
  file("06", "API", "Daily", 0, "2026-11-18T00:00:00Z", "2026-11-19T04:00:00Z", 7000),
  // A lower-case Id character sorts after every digit and upper-case letter in an exact comparison.
  {
    ...file("0a", "Logout", null, null, "2026-11-12T00:00:00Z", "2026-11-13T05:00:00Z", null),
    IsDeleted: true,
  },
  file("07", "Login", "Hourly", 1, "2026-11-20T14:00:00Z", "2026-11-20T14:50:00Z", 10),
];

/** The short name of a file in the fixture: "04" for 0AT000000000004GAA. */
export const shortId = (record: SoqlRecord) => String(record.Id).slice(13, 15);
