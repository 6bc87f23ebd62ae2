import type { IntervalChoice } from "./interval.js";

/** SOQL datetime literals are unquoted ISO instants; Salesforce keeps second precision. */
export function soqlDateTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function soqlString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

export interface DiscoveryQueryOptions {
  interval: IntervalChoice;
  eventTypes: readonly string[];
  /** Files created at or after this instant (the cursor minus the safety overlap). */
  since: Date;
}

/**
 * The discovery query. Interval and Sequence are named only when the org has hourly files: on other
 * orgs the fields do not exist and naming them fails with INVALID_FIELD, the trap Sekoia.io's guide
 * warns about. On an org that has both, the Interval filter is what keeps daily and hourly copies of
 * the same events from both being delivered.
 */
export function discoveryQuery({ interval, eventTypes, since }: DiscoveryQueryOptions): string {
  const fields = [
    "Id",
    "EventType",
    "LogDate",
    "CreatedDate",
    "LogFileLength",
    "LogFile",
    "LogFileFieldNames",
  ];
  const where = [`CreatedDate >= ${soqlDateTime(since)}`];
  if (interval.orgHasHourly) {
    fields.splice(4, 0, "Interval", "Sequence");
    where.unshift(`Interval = '${interval.mode === "hourly" ? "Hourly" : "Daily"}'`);
  }
  if (eventTypes.length > 0) where.push(`EventType IN (${eventTypes.map(soqlString).join(", ")})`);
  return `SELECT ${fields.join(", ")} FROM EventLogFile WHERE ${where.join(" AND ")} ORDER BY CreatedDate ASC, Id ASC`;
}
