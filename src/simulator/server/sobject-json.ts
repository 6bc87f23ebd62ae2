import type { SoqlFieldType, SoqlRecord } from "../soql/index.js";

/**
 * sObjects as the REST API writes them: query records with their `attributes`, and describe answers.
 * Shared by EventLogFile and the monitoring objects, so every object's JSON has one shape.
 */

/** A field as describe shows it, and as the SOQL engine filters and sorts it. */
export interface FieldDescription {
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
  referenceTo?: string;
  picklist?: readonly string[];
}

/** 2024-03-11T15:00:00.000+0000, the form every datetime takes in REST JSON. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}

export function jsonValue(type: SoqlFieldType | undefined, value: SoqlRecord[string]): string {
  if (value === null) return "null";
  if (type === "datetime" && typeof value === "number") return JSON.stringify(formatDateTime(value));
  if (type === "date" && typeof value === "number")
    return JSON.stringify(new Date(value).toISOString().slice(0, 10));
  // Doubles keep their decimal point: LogFileLength reads 2692.0, ApiVersion 64.0.
  if (type === "double" && typeof value === "number" && Number.isInteger(value)) return `${value}.0`;
  return JSON.stringify(value);
}

/** The fields of a record as JSON members, in the order given (no braces, no attributes). */
export function fieldsJson(
  record: SoqlRecord,
  fields: readonly string[],
  typeOf: ReadonlyMap<string, SoqlFieldType>,
): string[] {
  return fields.map((name) => `${JSON.stringify(name)}:${jsonValue(typeOf.get(name), record[name])}`);
}

/**
 * A query record as JSON text, fields in SELECT order after `attributes`. Written by hand because
 * JSON.stringify cannot keep the ".0" of a whole double.
 */
export function sobjectRecordJson(
  objectName: string,
  typeOf: ReadonlyMap<string, SoqlFieldType>,
  record: SoqlRecord,
  fields: readonly string[],
  id: string,
  version: string,
): string {
  const attributes = JSON.stringify({
    type: objectName,
    url: `/services/data/v${version}/sobjects/${objectName}/${id}`,
  });
  return `{${[`"attributes":${attributes}`, ...fieldsJson(record, fields, typeOf)].join(",")}}`;
}

export interface SObjectDescription {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string | null;
  fields: readonly FieldDescription[];
}

/** GET .../sobjects/<Name>/describe. */
export function describeSObjectJson(object: SObjectDescription, version: string): string {
  const picklist = (values: readonly string[]) =>
    values.map((value) => ({ active: true, defaultValue: false, label: value, validFor: null, value }));
  const base = `/services/data/v${version}/sobjects/${object.name}`;
  return JSON.stringify({
    name: object.name,
    label: object.label,
    labelPlural: object.labelPlural,
    keyPrefix: object.keyPrefix,
    custom: false,
    createable: false,
    updateable: false,
    deletable: false,
    queryable: true,
    retrieveable: true,
    searchable: false,
    fields: object.fields.map((f) => ({
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
      picklistValues: picklist(f.picklist ?? []),
    })),
    urls: { describe: `${base}/describe`, sobject: base, rowTemplate: `${base}/{ID}` },
  });
}
