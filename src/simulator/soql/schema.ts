/**
 * What the SOQL engine knows of an sObject: its fields, their types and whether they can be filtered
 * and sorted. The engine holds no object of its own; the simulator registers one schema per object it
 * serves (EventLogFile today; LoginEvent, SetupAuditTrail or LoginHistory later).
 */

/** Field types in the describe-call vocabulary, reduced to what changes filtering and sorting. */
export type SoqlFieldType =
  | "id"
  | "string"
  | "picklist"
  | "int"
  | "double"
  | "boolean"
  | "date"
  | "datetime"
  | "base64"
  | "reference";

export interface SoqlField {
  /** Canonical spelling, as describe returns it and as query results are keyed. */
  name: string;
  type: SoqlFieldType;
  /** Can appear in WHERE (default true). */
  filterable?: boolean;
  /** Can appear in ORDER BY (default true). */
  sortable?: boolean;
}

export interface SObjectSchema {
  name: string;
  fields: SoqlField[];
}

/**
 * A record is keyed by canonical field name. datetime and date values are epoch milliseconds (UTC);
 * int/double numbers; boolean booleans; id/string/picklist/reference/base64 strings; null when empty.
 */
export type SoqlRecord = Record<string, string | number | boolean | null>;
