import { ExplainedError } from "../core/errors.js";

/**
 * The checkpoint store: which Event Log Files were delivered, and where each discovery query
 * stands. An interface, so that a shared store (PostgreSQL) can serve several collectors later.
 */

export type LogInterval = "Hourly" | "Daily";

/** An EventLogFile whose every row every output has acknowledged. */
export interface DeliveredFile {
  id: string;
  eventType: string;
  interval: LogInterval;
  logDate: string;
  createdDate: string;
  sequence: number;
  length: number;
  rows: number;
}

/** The (CreatedDate, Id) position of a discovery query, ordered by CreatedDate then Id. */
export interface Cursor {
  createdDate: string;
  id: string;
}

/** The file whose rows are being fingerprinted: its Id and the scope its rows can repeat in. */
export interface FingerprintScope {
  id: string;
  eventType: string;
  interval: LogInterval;
  logDate: string;
}

/** EventType|Interval|LogDate: the files whose rows can repeat one another's. */
export function scopeKey(file: Omit<FingerprintScope, "id">): string {
  return `${file.eventType}|${file.interval}|${file.logDate}`;
}

/** Fingerprints of one file's rows as they stream by. */
export interface RowFingerprints {
  /**
   * Whether a delivered file of the same scope already carried this row; if not, records it for this file.
   * What is recorded is written in large batches as it grows, and the rest with markDelivered.
   */
  seen(fingerprint: bigint): boolean;
}

export interface StateStore {
  /** Was this file (this Id with this CreatedDate) delivered already? */
  isDelivered(id: string, createdDate: string): boolean;
  /**
   * Atomically: records the file as delivered, (optionally) moves the cursor of `source`, and writes
   * the last of the file's row fingerprints.
   */
  markDelivered(
    file: DeliveredFile,
    cursor?: { source: string; position: Cursor },
    fingerprints?: RowFingerprints,
  ): void;
  cursor(source: string): Cursor | undefined;
  /** Sets the position as given: the collector decides where it goes, including backwards. */
  setCursor(source: string, position: Cursor): void;
  /** Daily/hourly bookkeeping: which (eventType, logDate, interval) were delivered, for replacement detection. */
  deliveredFor(eventType: string, logDate: string, interval: LogInterval): DeliveredFile[];
  /**
   * Starts fingerprinting a file's rows (forgetting any left by an earlier, unfinished attempt).
   * Fingerprints count as delivered only once the file itself is marked delivered.
   */
  rowFingerprints(file: FingerprintScope): RowFingerprints;
  /** Forgets delivered files created before `before` (Salesforce keeps files 30 days). Returns how many. */
  prune(before: Date): number;
  close(): void;
}

/**
 * The state cannot be read or written; the message names the path and what to do. It ends the
 * cycle: every later unit would fail the same way, after its download.
 */
export class StateError extends ExplainedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "end-cycle", options);
  }
}
