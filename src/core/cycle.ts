import type { WorkUnit } from "./source.js";

export interface UnitFailure {
  /** The unit's name, as log lines give it. */
  unit: string;
  error: string;
}

/** What one collection cycle of one source did. */
export interface CycleReport {
  source: string;
  listed: number;
  delivered: number;
  rows: number;
  /** Rows not delivered again because a delivered unit of the same scope already had them. */
  repeatedRows: number;
  deadLetters: number;
  /** Events an output sent again after a timeout, which the destination may now hold twice. */
  possibleDuplicates: number;
  failed: UnitFailure[];
}

/**
 * Told what the engine does, for metrics and the status page; it only watches. Every method is
 * optional and must not throw.
 */
export interface CycleObserver {
  cycleStarted?(source: string): void;
  /** Every output acknowledged the unit's rows, and the state recorded it. */
  unitDelivered?(source: string, unit: WorkUnit, rows: number): void;
  /** The cycle ended: with its report, or with the error that ended it (then `report` is undefined). */
  cycleEnded?(source: string, seconds: number, report: CycleReport | undefined, error?: unknown): void;
  /**
   * A source could not be opened, so no cycle started: its id (which may depend on what opening
   * learns) is not known yet.
   */
  openFailed?(error: unknown): void;
  /**
   * An output's write or flush failed. One failure may be told more than once (every write rejects
   * with it until the next flush): the same error object each time.
   */
  outputFailed?(output: string, error: unknown): void;
}
