import type { EventLogFileEntry } from "../org/index.js";
import type { SObjectSchema, SoqlFieldType, SoqlRecord } from "../soql/index.js";

/**
 * The EventLogFile sObject as the API shows it: its fields (for SOQL and describe), a file as a query
 * record, and records as Salesforce writes them in JSON.
 */

interface FieldDescription {
  name: string;
  label: string;
  type: SoqlFieldType;
  length?: number;
  precision?: number;
  scale?: number;
  filterable: boolean;
  sortable: boolean;
  groupable: boolean;
  nillable: boolean;
  /** Only in orgs with hourly Event Log Files (API 37.0+). */
  hourlyOnly?: boolean;
  referenceTo?: string;
}

const field = (
  name: string,
  label: string,
  type: SoqlFieldType,
  traits: Partial<Omit<FieldDescription, "name" | "label" | "type">> = {},
): FieldDescription => ({
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
const FIELDS: readonly FieldDescription[] = [
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

function visibleFields(hourly: boolean): readonly FieldDescription[] {
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

/** 2024-03-11T15:00:00.000+0000, the form every datetime takes in REST JSON. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}

function jsonValue(type: SoqlFieldType | undefined, value: SoqlRecord[string]): string {
  if (value === null) return "null";
  if (type === "datetime" && typeof value === "number") return JSON.stringify(formatDateTime(value));
  if (type === "date" && typeof value === "number")
    return JSON.stringify(new Date(value).toISOString().slice(0, 10));
  // Doubles keep their decimal point: LogFileLength reads 2692.0, ApiVersion 64.0.
  if (type === "double" && typeof value === "number" && Number.isInteger(value)) return `${value}.0`;
  return JSON.stringify(value);
}

/**
 * A query record as JSON text, fields in SELECT order after `attributes`. Written by hand because
 * JSON.stringify cannot keep the ".0" of a whole double.
 */
export function recordJson(
  record: SoqlRecord,
  fields: readonly string[],
  id: string,
  version: string,
): string {
  const attributes = JSON.stringify({ type: EVENT_LOG_FILE, url: sobjectUrl(version, id) });
  const parts = [`"attributes":${attributes}`];
  for (const name of fields)
    parts.push(`${JSON.stringify(name)}:${jsonValue(TYPE_OF.get(name), record[name])}`);
  return `{${parts.join(",")}}`;
}

/** GET .../sobjects/EventLogFile/describe: the fields this org shows, and the EventType picklist. */
export function describeJson(hourly: boolean, eventTypes: readonly string[], version: string): string {
  const picklist = (values: readonly string[]) =>
    values.map((value) => ({ active: true, defaultValue: false, label: value, validFor: null, value }));
  const base = `/services/data/v${version}/sobjects/${EVENT_LOG_FILE}`;
  return JSON.stringify({
    name: EVENT_LOG_FILE,
    label: "Event Log File",
    labelPlural: "Event Log Files",
    keyPrefix: "0AT",
    custom: false,
    createable: false,
    updateable: false,
    deletable: false,
    queryable: true,
    retrieveable: true,
    searchable: false,
    fields: visibleFields(hourly).map((f) => ({
      name: f.name,
      label: f.label,
      type: f.type,
      length: f.length ?? 0,
      precision: f.precision ?? 0,
      scale: f.scale ?? 0,
      filterable: f.filterable,
      sortable: f.sortable,
      groupable: f.groupable,
      nillable: f.nillable,
      createable: false,
      updateable: false,
      referenceTo: f.referenceTo === undefined ? [] : [f.referenceTo],
      restrictedPicklist: f.type === "picklist",
      picklistValues:
        f.name === "EventType"
          ? picklist(eventTypes)
          : f.name === "Interval"
            ? picklist(["Daily", "Hourly"])
            : [],
    })),
    urls: { describe: `${base}/describe`, sobject: base, rowTemplate: `${base}/{ID}` },
  });
}
