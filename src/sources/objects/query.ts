import { soqlDateTime } from "../event-log-files/query.js";
import type { ObjectKind } from "./catalog.js";
import type { Window } from "./windows.js";

/**
 * The query for one window. A big object takes a range on EventDate only, and sorts only by
 * EventDate DESC (ASC and a second sort field fail with BIG_OBJECT_UNSUPPORTED_OPERATION); the order
 * inside a window does not matter, since a window is committed whole. A standard object sorts by
 * (timestamp, Id) ascending, so that its pages come in a stable order.
 */
export function windowQuery(kind: ObjectKind, fields: readonly string[], window: Window): string {
  const ts = kind.timestamp;
  const where = `${ts} > ${soqlDateTime(window.from)} AND ${ts} <= ${soqlDateTime(window.to)}`;
  const order = kind.storage === "big" ? `${ts} DESC` : `${ts} ASC, Id ASC`;
  return `SELECT ${fields.join(", ")} FROM ${kind.name} WHERE ${where} ORDER BY ${order}`;
}
