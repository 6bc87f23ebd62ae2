import type { EventOrigin, ReadProblem, SourceEvent } from "./event.js";

/**
 * Something sfevents collects from: Event Log Files, objects over SOQL, Pub/Sub streams. A source knows its Salesforce objects;
 * the engine knows none and only keeps the promise: a unit's checkpoint is committed, in order,
 * once every output acknowledged every event of that unit and of the units before it.
 */
export interface Source {
  /**
   * The id the state keys this source by (`event_log_files:hourly`); known once open() resolved,
   * since it may depend on what the org has.
   */
  readonly id: string;
  /** What one unit is called in log lines: "hourly Event Log File". */
  readonly unitNoun: string;
  /**
   * A stream lists what arrived since its last cycle, cycle after cycle, many a minute: its
   * per-cycle and per-unit lines are debug, and collect sums them up once a minute instead.
   */
  readonly streaming?: boolean;
  /** Asks Salesforce what the source needs to know (a describe, the interval); a setup problem is an ExplainedError with its fix. */
  open(): Promise<void>;
  /**
   * The units of work from a checkpoint (the source's own value, as last committed), in checkpoint
   * order. A stream may wait in it for events to arrive, until `signal` aborts.
   */
  list(checkpoint: string | undefined, signal?: AbortSignal): Promise<Listing>;
}

export interface Listing {
  /**
   * The earliest position the listing reached back to. Delivered units positioned before the next
   * listing's start may be forgotten: no listing can offer them again.
   */
  since: Date;
  /**
   * Delivered units positioned before this may be forgotten now, whatever the engine's retention:
   * a stream keeps only the span a backfill could read again.
   */
  forgetBefore?: Date;
  units: WorkUnit[];
}

/** A unit of work: an Event Log File, a SOQL time window, the events of a Pub/Sub fetch. */
export interface WorkUnit {
  /** Its identity within the source, in the state: an Event Log File is `Id@CreatedDate`. */
  readonly key: string;
  /** How log lines and the progress display name it. */
  readonly name: string;
  /**
   * Units of one scope may repeat one another's events (the files of one event type's hour or
   * day): they run one after another, and an event a delivered unit of the scope carried is not
   * delivered again. None when events cannot repeat across units.
   */
  readonly scope?: string;
  /** The ISO instant that orders units; the state forgets delivered units by it. */
  readonly position: string;
  /** The source's checkpoint once this unit, and every unit listed before it, is delivered. */
  readonly checkpoint: string;
  /** What the state keeps about the unit for people who read it (`sfevents state show`). */
  readonly detail?: Record<string, string | number>;
  /** The origin its events carry, which its dead letters name too. */
  readonly origin: EventOrigin;
  /** What every log line about the unit carries, e.g. its Salesforce Id. */
  readonly logFields: Record<string, unknown>;
  /**
   * Reads the unit as batches of events, with what could not be read. Called again, from the
   * start, after an error whose action is `retry-unit`.
   */
  read(signal: AbortSignal): AsyncIterable<UnitBatch>;
}

export interface UnitBatch {
  events: readonly SourceEvent[];
  problems: readonly ReadProblem[];
}
