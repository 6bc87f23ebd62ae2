import { elfColumnName, parseBoolean } from "../../src/normalize/columns.js";
import { parseSalesforceTime } from "../../src/normalize/timestamp.js";
import { leaves } from "./ecs-types.js";

/** A value "lands" when the document holds it as written, typed, as the same instant, or split. */
function landed(column: string, value: string, found: unknown[]): boolean {
  const text = found.flatMap((v) => (Array.isArray(v) ? v : [v]));
  const asTime = parseSalesforceTime(value);
  const has = (x: unknown) => text.some((v) => v === x);
  if (has(value) || has(Number(value)) || has(parseBoolean(value))) return true;
  if (asTime !== undefined && text.some((v) => typeof v === "string" && Date.parse(v) === Date.parse(asTime)))
    return true;
  if (column === "QUERY" && has(value.slice(1))) return true;
  if (column === "TLS_PROTOCOL") return has(value.replace(/^TLSv? ?/, ""));
  if (column === "CLIENT_GEO") return value.split("/").every(has);
  if (column === "FORWARDED_FOR_IP") return value.split(",").every((ip) => has(ip.trim()));
  return false;
}

/** The columns of a row whose value appears nowhere in its document. */
export function missingColumns(r: Record<string, string>, doc: Record<string, unknown>): string[] {
  const found = leaves(doc).map(([, v]) => v);
  return Object.entries(r)
    .filter(([column, value]) => value !== "" && !landed(column, value, found))
    .map(([column]) => column);
}

/**
 * The fields of a record (relationships flattened, `attributes` left out) whose value appears
 * nowhere in its document: the same check as for a row's columns, each field read as its column.
 */
export function missingFields(record: Record<string, unknown>, doc: Record<string, unknown>): string[] {
  const found = leaves(doc).map(([, v]) => v);
  const missing: string[] = [];
  const visit = (prefix: string, fields: Record<string, unknown>) => {
    for (const [name, value] of Object.entries(fields)) {
      if (value === null || value === "" || name === "attributes") continue;
      if (typeof value === "object") visit(`${prefix}${name}.`, value as Record<string, unknown>);
      else if (!landed(elfColumnName(name), String(value), found)) missing.push(prefix + name);
    }
  };
  visit("", record);
  return missing;
}
