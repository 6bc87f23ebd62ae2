import type { EventLogFileEntry } from "../org/index.js";
import type { SObjectSchema, SoqlFieldType, SoqlRecord } from "../soql/index.js";
import { describeSObjectJson, type FieldDescription, sobjectRecordJson } from "./sobject-json.js";

/**
 * The EventLogFile sObject as the API shows it: its fields (for SOQL and describe), a file as a query
 * record, and records as Salesforce writes them in JSON.
 */

/** Only in orgs with hourly Event Log Files (API 37.0+). */
type EventLogFileField = FieldDescription & { hourlyOnly?: boolean };

const field = (
  name: string,
  label: string,
  type: SoqlFieldType,
  traits: Partial<Omit<EventLogFileField, "name" | "label" | "type">> = {},
): EventLogFileField => ({
  name,
  label,
  type,
  filterable: true,
  sortable: true,
  groupable: false,
  nillable: false,
  ...traits,
});

/** In describe order. Properties from the object reference (Filter, Group, Sort, Nillable). */
const FIELDS: readonly EventLogFileField[] = [
  field("Id", "Event Log File ID", "id", { length: 18, groupable: true }),
  field("IsDeleted", "Deleted", "boolean", { groupable: true }),
  field("CreatedDate", "Created Date", "datetime"),
  field("CreatedById", "Created By ID", "reference", { length: 18, groupable: true, referenceTo: "User" }),
  field("LastModifiedDate", "Last Modified Date", "datetime"),
  field("LastModifiedById", "Last Modified By ID", "reference", {
    length: 18,
    groupable: true,
    referenceTo: "User",
  }),
  field("SystemModstamp", "System Modstamp", "datetime"),
  field("EventType", "Event Type", "picklist", { length: 255, groupable: true }),
  field("LogDate", "Log Date", "datetime"),
  field("LogFile", "Log File", "base64", { filterable: false, sortable: false }),
  field("LogFileContentType", "Log File Content Type", "string", { length: 255, groupable: true }),
  field("LogFileLength", "Log File Length", "double", { precision: 18, scale: 0 }),
  // Long text: neither filterable nor sortable, like any string field over 255 characters.
  field("LogFileFieldNames", "Log File Field Names", "string", {
    length: 1333,
    filterable: false,
    sortable: false,
    nillable: true,
  }),
  field("LogFileFieldTypes", "Log File Field Types", "string", {
    length: 1333,
    filterable: false,
    sortable: false,
    nillable: true,
  }),
  field("ApiVersion", "API Version", "double", { precision: 18, scale: 1 }),
  field("Interval", "Interval", "picklist", {
    length: 40,
    groupable: true,
    nillable: true,
    hourlyOnly: true,
  }),
  field("Sequence", "Sequence", "int", { precision: 9, groupable: true, hourlyOnly: true }),
];

export const EVENT_LOG_FILE = "EventLogFile";

function visibleFields(hourly: boolean): readonly EventLogFileField[] {
  return hourly ? FIELDS : FIELDS.filter((f) => !f.hourlyOnly);
}

/** What the SOQL engine may select, filter and sort in this org. */
export function eventLogFileSchema(hourly: boolean): SObjectSchema {
  return {
    name: EVENT_LOG_FILE,
    fields: visibleFields(hourly).map(({ name, type, filterable, sortable }) => ({
      name,
      type,
      filterable,
      sortable,
    })),
  };
}

export function sobjectUrl(version: string, id: string): string {
  return `/services/data/v${version}/sobjects/${EVENT_LOG_FILE}/${id}`;
}

export function logFileUrl(version: string, id: string): string {
  return `${sobjectUrl(version, id)}/LogFile`;
}

/**
 * A file as a record. LogFile holds the relative URL of the content, which is what REST queries
 * return in place of the base64 body. `createdById` is the system user that writes log files.
 */
export function toRecord(entry: EventLogFileEntry, version: string, createdById: string): SoqlRecord {
  return {
    Id: entry.Id,
    IsDeleted: false,
    CreatedDate: entry.CreatedDate,
    CreatedById: createdById,
    LastModifiedDate: entry.CreatedDate,
    LastModifiedById: createdById,
    SystemModstamp: entry.CreatedDate,
    EventType: entry.EventType,
    LogDate: entry.LogDate,
    LogFile: logFileUrl(version, entry.Id),
    LogFileContentType: entry.LogFileContentType,
    LogFileLength: entry.LogFileLength,
    LogFileFieldNames: entry.LogFileFieldNames,
    LogFileFieldTypes: entry.LogFileFieldTypes,
    ApiVersion: entry.ApiVersion,
    Interval: entry.Interval,
    Sequence: entry.Sequence,
  };
}

const TYPE_OF = new Map(FIELDS.map((f) => [f.name, f.type]));

/** A query record as JSON text, fields in SELECT order after `attributes`. */
export function recordJson(
  record: SoqlRecord,
  fields: readonly string[],
  id: string,
  version: string,
): string {
  return sobjectRecordJson(EVENT_LOG_FILE, TYPE_OF, record, fields, id, version);
}

/** GET .../sobjects/EventLogFile/describe: the fields this org shows, and the EventType picklist. */
export function describeJson(hourly: boolean, eventTypes: readonly string[], version: string): string {
  const fields = visibleFields(hourly).map((f) =>
    f.name === "EventType"
      ? { ...f, picklist: eventTypes }
      : f.name === "Interval"
        ? { ...f, picklist: ["Daily", "Hourly"] }
        : f,
  );
  return describeSObjectJson(
    {
      name: EVENT_LOG_FILE,
      label: "Event Log File",
      labelPlural: "Event Log Files",
      keyPrefix: "0AT",
      fields,
    },
    version,
  );
}
