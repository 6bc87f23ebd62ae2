import { isIP } from "node:net";
import { elfColumnName } from "./columns.js";
import { OBJECT_KEY } from "../core/event.js";
import { objectMapping } from "./objects.js";
import { recordFields } from "./record-plan.js";
import { parseSalesforceTime } from "./timestamp.js";

/**
 * A Salesforce object record in the shape Sekoia.io's Salesforce format parses: that format knows
 * only Event Log File rows, keyed by their upper-snake-case columns (EVENT_TYPE, USER_ID,
 * SOURCE_IP, ...), and extracts nothing from a record's own field names (UserId, SourceIp). Each
 * field is keyed by the column Salesforce gives the same datum in its Event Log Files, so the format
 * reads it; no value is dropped or changed, except date-times written as ISO 8601 UTC
 * (docs/mapping.md, "Objects in Sekoia.io", has the figures).
 */

/** The Event Log File type whose parsing fits the object: Sekoia.io's login and logout rules. */
const ELF_TYPES: Readonly<Record<string, string>> = {
  LoginEvent: "Login",
  LoginHistory: "Login",
  LogoutEvent: "Logout",
};

/** Fields whose column is not their name in upper snake case. */
const COLUMNS: Readonly<Record<string, string>> = {
  Username: "USER_NAME",
  "CreatedBy.Username": "USER_NAME",
  CreatedById: "USER_ID",
  DelegatedUsername: "DELEGATED_USER_NAME",
  Browser: "BROWSER_NAME",
  // A browser's user agent string: the format casts USER_AGENT to a client code (0 for a string).
  UserAgent: "BROWSER_TYPE",
  CurrentUserAgent: "BROWSER_TYPE",
  Summary: "MESSAGE",
  Display: "MESSAGE",
};

/**
 * Columns the format would misread with an object's value, so a field that would get one keeps its
 * own name: QUERY is cut at a `?` that SOQL has not, USER_AGENT is cast to a number, TIMESTAMP and
 * LOGIN_TIME win over the real instant, EVENT_TYPE names the type.
 */
const MISREAD = new Set([
  "QUERY",
  "USER_AGENT",
  "TIMESTAMP",
  "LOGIN_TIME",
  "TIMESTAMP_DERIVED",
  "EVENT_TYPE",
  "CLIENT_GEO",
]);

/** Columns the format reads as an IP address: a value that is none keeps its field's name. */
const ADDRESSES = new Set(["SOURCE_IP", "CLIENT_IP", "IP_ADDRESS"]);

/** The record (without `attributes`) as the JSON text of a Sekoia.io event. */
export function sekoiaShape(object: string, record: Readonly<Record<string, unknown>>): string {
  const mapping = objectMapping(object);
  const elfType = ELF_TYPES[object];
  const out: Record<string, unknown> = { EVENT_TYPE: elfType ?? object };
  const [names, values] = recordFields(record);
  const deferred: [string, unknown][] = [];
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const value = values[i];
    if (name === OBJECT_KEY) {
      out[OBJECT_KEY] = value;
      continue;
    }
    const column = columnOf(name, value, mapping.time, elfType);
    if (column === undefined || column in out) deferred.push([name, value]);
    else out[column] = column === "TIMESTAMP_DERIVED" ? (parseSalesforceTime(String(value)) ?? value) : value;
  }
  // A field whose column is taken, or that would be misread, stays under its own name.
  for (const [name, value] of deferred) if (!(name in out)) out[name] = value;
  return JSON.stringify(out);
}

function columnOf(
  name: string,
  value: unknown,
  timeField: string,
  elfType: string | undefined,
): string | undefined {
  if (name === timeField) return "TIMESTAMP_DERIVED";
  if (name === "Status" && elfType === "Login") return "LOGIN_STATUS";
  const column = Object.hasOwn(COLUMNS, name) ? COLUMNS[name] : elfColumnName(name);
  if (MISREAD.has(column)) return undefined;
  if (ADDRESSES.has(column) && (typeof value !== "string" || isIP(value) === 0)) return undefined;
  return column;
}
