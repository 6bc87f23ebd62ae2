import { ExplainedError } from "../../core/errors.js";

/** A closed time window (from, to]: every row stamped after `from` and at or before `to`. */
export interface Window {
  from: Date;
  to: Date;
}

export interface WindowPlan {
  /** Where a first run starts: `start`, else now minus `lookback`. */
  lookback: number;
  start?: Date;
  /** A window ends this far behind the org's clock: rows take a moment to be stored. */
  lag: number;
  /** Each listing starts this far before the checkpoint again, for rows stored late. */
  overlap: number;
  /** The longest window one query reads; a longer span is cut into several. */
  window: number;
  /** No window ends after this: a stream's backfill reads only the span the stream missed. */
  until?: Date;
}

/**
 * The windows to read from a checkpoint (the end of the last window delivered) to the org's now
 * minus the lag (or `until`, if earlier), oldest first, each at most `plan.window` long. Bounds fall on whole seconds, the
 * precision every SOQL datetime literal keeps.
 */
export function planWindows(
  through: Date | undefined,
  now: Date,
  plan: WindowPlan,
): { since: Date; windows: Window[] } {
  const since = seconds(
    through ? through.getTime() - plan.overlap : (plan.start?.getTime() ?? now.getTime() - plan.lookback),
  );
  const end = seconds(Math.min(now.getTime() - plan.lag, plan.until?.getTime() ?? Number.POSITIVE_INFINITY));
  const windows: Window[] = [];
  for (let from = since; from < end; from += plan.window) {
    windows.push({ from: new Date(from), to: new Date(Math.min(from + plan.window, end)) });
  }
  return { since: new Date(since), windows };
}

/**
 * A window cut in two at a whole second near its middle, older half first; undefined for a window
 * of one second, the narrowest a SOQL datetime literal can bound.
 */
export function halve(window: Window): [Window, Window] | undefined {
  const from = window.from.getTime();
  const to = window.to.getTime();
  const middle = seconds(from + (to - from) / 2);
  if (middle <= from) return undefined;
  return [
    { from: window.from, to: new Date(middle) },
    { from: new Date(middle), to: window.to },
  ];
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** The checkpoint of an object: the end of the last window of the longest delivered prefix. */
export function windowCheckpoint(window: Window): string {
  return JSON.stringify({ through: window.to.toISOString() });
}

export function readWindowCheckpoint(value: string, source: string): Date {
  let through: unknown;
  try {
    through = (JSON.parse(value) as { through?: unknown }).through;
  } catch {
    through = undefined;
  }
  if (typeof through !== "string" || Number.isNaN(Date.parse(through))) {
    throw new ExplainedError(
      `The checkpoint of ${source} in the state is not an object window (${value.slice(0, 100)}). Restore the state from a backup, or rewind the source with \`sfevents state rewind\`.`,
      "stop",
    );
  }
  return new Date(through);
}
