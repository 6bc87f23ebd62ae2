import { ExplainedError } from "../core/errors.js";

/**
 * The checkpoint store, keyed by source: which units of work were delivered, where each source
 * stands, and the fingerprints of delivered rows. It knows no Salesforce object: a source says what
 * its units, scopes and checkpoints are. Two stores serve it: an SQLite file (one collector) and
 * PostgreSQL (a database several collectors can share).
 */

/** A unit of work (an Event Log File, ...) whose every row every output has acknowledged. */
export interface DeliveredUnit {
  /** The source it belongs to, e.g. `event_log_files:hourly`. */
  source: string;
  /** Its identity within the source (an Event Log File: `Id@CreatedDate`). */
  key: string;
  /** The units whose rows can repeat one another's (an Event Log File: `EventType|Interval|LogDate`). */
  scope?: string;
  /** The ISO instant the source orders its units by (an Event Log File: CreatedDate); records are forgotten by it. */
  position: string;
  rows: number;
  /** What the source keeps about the unit for people who read the state, e.g. an event type. */
  detail?: Record<string, string | number>;
}

/** The unit whose rows are being fingerprinted, and the scope its rows can repeat in. */
export interface FingerprintUnit {
  source: string;
  key: string;
  scope: string;
}

/** Fingerprints of one unit's rows as they stream by. */
export interface RowFingerprints {
  /**
   * Whether a delivered unit of the same scope already carried this row; if not, records it for this
   * unit. The row is given as its raw event (the JSON text the outputs send), which the store
   * fingerprints itself: with the row's identity (core/identity.ts), and with a fingerprint of an
   * earlier sfevents while units that stored those remain in the scope. Synchronous, as it is called
   * once per row: a store whose storage answers asynchronously holds what it needs in memory (see
   * each store's rowFingerprints). What is recorded is written as the store chooses, the rest with
   * markDelivered. `fingerprint`, when given, is eventFingerprint(json), computed already.
   */
  seen(json: string, fingerprint?: bigint): boolean;
}

/**
 * Every method that touches storage returns a promise, so that a store on a server (PostgreSQL)
 * can serve the same callers as the embedded SQLite file, which answers synchronously inside.
 * Writes (markDelivered, setCheckpoint, prune, rewind) take effect in the order they were called:
 * the engine commits units in acknowledgement order and relies on a later checkpoint never being
 * overwritten by an earlier one.
 */
export interface StateStore {
  /** Was this unit delivered already? */
  isDelivered(source: string, key: string): Promise<boolean>;
  /**
   * Atomically: records the unit as delivered, (optionally) moves its source's checkpoint, and
   * writes the last of the unit's row fingerprints.
   */
  markDelivered(unit: DeliveredUnit, checkpoint?: string, fingerprints?: RowFingerprints): Promise<void>;
  /** The source's checkpoint: its own opaque value, as the source last committed it. */
  checkpoint(source: string): Promise<string | undefined>;
  /** Sets the checkpoint as given: the source decides where it goes, including backwards. */
  setCheckpoint(source: string, value: string): Promise<void>;
  /** The delivered units of one scope of a source, in position order. */
  deliveredIn(source: string, scope: string): Promise<DeliveredUnit[]>;
  /**
   * Starts fingerprinting a unit's rows (forgetting any left by an earlier, unfinished attempt).
   * Fingerprints count as delivered only once the unit itself is marked delivered.
   */
  rowFingerprints(unit: FingerprintUnit): Promise<RowFingerprints>;
  /** Forgets the source's delivered units positioned before `before`. Returns how many. */
  prune(source: string, before: Date): Promise<number>;
  /** The position (ISO) of the source's newest delivered unit, if it has any: how far it has come. */
  newestPosition(source: string): Promise<string | undefined>;
  /** How many of the source's delivered units are positioned at or after `from`. */
  unitsFrom(source: string, from: Date): Promise<number>;
  /**
   * Collects again from `to`: forgets the source's units positioned at or after it (and their
   * fingerprints) and sets the checkpoint the source gave for that instant, in one transaction.
   * Returns how many units were forgotten.
   */
  rewind(source: string, to: Date, checkpoint: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * The state cannot be read or written; the message names the database and what to do. It ends the
 * cycle: every later unit would fail the same way, after its download.
 */
export class StateError extends ExplainedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "end-cycle", options);
  }
}

/** What the state holds for one source, for `sfevents state show`. */
export interface SourceSummary {
  source: string;
  checkpoint: string | undefined;
  /** When the checkpoint last moved (ISO). */
  checkpointAt: string | undefined;
  units: number;
  rows: number;
  /** Positions of the oldest and newest delivered units (ISO), when any. */
  oldest: string | undefined;
  newest: string | undefined;
  fingerprints: number;
}
