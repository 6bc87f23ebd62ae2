import { ExplainedError } from "../../core/errors.js";
import type { EventLogFile } from "./records.js";

/**
 * The checkpoint of Event Log File discovery: the (CreatedDate, Id) of the last file of the longest
 * delivered prefix, in discovery order. Stored as JSON text, the source's own value.
 */
export interface Cursor {
  createdDate: string;
  id: string;
}

export function cursorAt(file: Pick<EventLogFile, "CreatedDate" | "Id">): string {
  return JSON.stringify({ createdDate: file.CreatedDate, id: file.Id } satisfies Cursor);
}

/** Reads a stored checkpoint back; one that is not a cursor is a damaged state, said so. */
export function readCursor(value: string, source: string): Cursor {
  let cursor: Partial<Cursor> | undefined;
  try {
    cursor = JSON.parse(value) as Partial<Cursor>;
  } catch {
    cursor = undefined;
  }
  if (typeof cursor?.createdDate !== "string" || Number.isNaN(Date.parse(cursor.createdDate))) {
    throw new ExplainedError(
      `The checkpoint of ${source} in the state is not an Event Log File cursor (${value.slice(0, 100)}). Restore the state from a backup, or move it aside to collect again from the lookback.`,
      "stop",
    );
  }
  return { createdDate: cursor.createdDate, id: String(cursor.id ?? "") };
}
