/** What the simulated org holds of the objects source's types, as a delivery is checked against. */

/** The field each object's rows are identified by, when not EventIdentifier. */
const IDENTITY: Record<string, string> = { SetupAuditTrail: "Id", LoginHistory: "Id" };
/** The field each object's windows are cut by, when not EventDate. */
export const TIMESTAMP: Record<string, string> = {
  SessionHijackingEventStore: "CreatedDate",
  SetupAuditTrail: "CreatedDate",
  LoginHistory: "LoginTime",
};

/** A delivered or stored record's key: its object and identity. */
export function objectRowKey(record: Record<string, unknown>): string {
  const object = String(record.sobject);
  return `${object} ${String(record[IDENTITY[object] ?? "EventIdentifier"])}`;
}

/** How many times each (object, identity) was seen. */
export function tallyObjects(records: Record<string, unknown>[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) {
    const key = objectRowKey(r);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The records of `types` the org shows now, with their object in `sobject`. */
export async function storedObjectRows(
  orgUrl: string,
  types: readonly string[],
): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${orgUrl}/__sim/objects/rows`);
  return (await res.text())
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as { object: string; record: Record<string, unknown> })
    .filter((r) => types.includes(r.object))
    .map((r) => ({ ...r.record, sobject: r.object }));
}

/** The instant a record's windows are cut by (ms). */
export function objectRowTime(record: Record<string, unknown>): number {
  return Date.parse(String(record[TIMESTAMP[String(record.sobject)] ?? "EventDate"]));
}

/** Every row of `types` the windows have reached: after `start`, up to `now` minus the lag. */
export async function readableObjectRows(
  orgUrl: string,
  types: readonly string[],
  start: string,
  now: Date,
  lagMs: number,
): Promise<Map<string, number>> {
  const rows = (await storedObjectRows(orgUrl, types)).filter((r) => {
    const at = objectRowTime(r);
    return at > Date.parse(start) && at <= now.getTime() - lagMs;
  });
  return tallyObjects(rows);
}
