import { ExplainedError } from "../../core/errors.js";

/**
 * Where a stream stands: the replay id of the last event every output acknowledged, and the
 * EventDate of the newest such event, where a gap's backfill starts. While a gap is being filled
 * from the storage object, `backfill` says how far it has come and where it ends, so that a
 * restart resumes the backfill as well as the stream.
 */
export interface StreamCheckpoint {
  /** base64 of the replay id's bytes, which are opaque: never computed with, only given back. */
  replayId: string;
  /** ISO EventDate of the newest delivered event (or where a rewind asked to start again). */
  at: string;
  /** ISO instant of the stream's first subscription: a gap's backfill never reads before it. */
  since?: string;
  backfill?: Backfill;
}

/** The span (through, until] of the storage object still to be read. */
export interface Backfill {
  through: string;
  until: string;
}

export function writeStreamCheckpoint(checkpoint: StreamCheckpoint): string {
  // Keys left undefined are left out (JSON.stringify drops them).
  return JSON.stringify(checkpoint);
}

/**
 * The checkpoint `sfevents state rewind` gives a stream: no replay id (a stream cannot start at an
 * instant), and `to` as both its last event and its first start, so that the next subscription
 * opens a gap from `to` that the storage object fills.
 */
export function rewoundStream(to: Date): string {
  return writeStreamCheckpoint({ replayId: "", at: to.toISOString(), since: to.toISOString() });
}

export function readStreamCheckpoint(value: string, source: string): StreamCheckpoint {
  let parsed: Partial<StreamCheckpoint> | undefined;
  try {
    parsed = JSON.parse(value) as Partial<StreamCheckpoint>;
  } catch {
    parsed = undefined;
  }
  const instant = (v: unknown) => typeof v === "string" && !Number.isNaN(Date.parse(v));
  const backfill = parsed?.backfill;
  if (
    typeof parsed?.replayId !== "string" ||
    !instant(parsed.at) ||
    (parsed.since !== undefined && !instant(parsed.since)) ||
    (backfill !== undefined && !(instant(backfill.through) && instant(backfill.until)))
  ) {
    throw new ExplainedError(
      `The checkpoint of ${source} in the state is not a stream position (${value.slice(0, 100)}). Restore the state from a backup, or forget the source with \`sfevents state rewind\`.`,
      "stop",
    );
  }
  return parsed as StreamCheckpoint;
}
