/**
 * Where an event came from: enough to name it in a log line or a dead letter. One object is shared
 * by every event of a unit.
 */
export interface EventOrigin {
  /** The source's id, as the state keys it: `event_log_files:hourly`, `replay`. */
  readonly source: string;
  /** The unit of work it was read in: an EventLogFile Id, a replayed file's path. */
  readonly unit: string;
  /** Its type (an Event Log File's EventType); unknown for a replayed file whose name does not tell. */
  readonly eventType?: string;
}

/**
 * What an event was read as, for the normalizer; outputs never look inside. A CSV row keeps its
 * header (one array shared by the rows of a file, which the normalizer compiles a plan for); a
 * record read as JSON (a SOQL row, a decoded Avro event) keeps its fields as Salesforce named them.
 */
export interface CsvFields {
  readonly kind: "csv";
  readonly header: readonly string[];
  readonly values: readonly string[];
}

/** The key an object record's raw JSON carries beside Salesforce's fields, naming its object. */
export const OBJECT_KEY = "sobject";

export interface RecordFields {
  readonly kind: "record";
  readonly record: Readonly<Record<string, unknown>>;
}

export type EventFields = CsvFields | RecordFields;

/**
 * One event on its way to the outputs. `json` is the raw event (a row keyed by its header), built
 * once by the source and shared by every output that sends it as it is.
 */
export interface SourceEvent {
  readonly origin: EventOrigin;
  /** Where in its unit it starts: a CSV record's 1-based line, a record's 1-based place in its answer. */
  readonly line: number;
  readonly json: string;
  /**
   * The event's own identity, where Salesforce gives one (EventIdentifier, a record Id): the same
   * event read twice has the same, whatever else changed. Without one, the raw JSON is its identity.
   */
  readonly identity?: string;
  /**
   * eventFingerprint(identity ?? json) (core/identity.ts), when the source computed it already: a
   * worker thread does, so that the main thread spends no hash per row.
   */
  readonly fingerprint?: bigint;
  readonly fields: EventFields;
  /**
   * The ECS document as JSON text, set by the first output that wants it (see
   * normalize/shared-ecs.ts) and read by the others: an event is normalized at most once.
   */
  ecs?: string;
}

/** Something read that cannot be an event as it is; it goes to the dead letters, and reading goes on. */
export interface ReadProblem {
  reason: string;
  /** 1-based line in the unit where it starts. */
  line?: number;
  /** Its length in characters as written, when it was refused for being too long to read. */
  chars?: number;
  /** Its text (or its start), or its fields when they were read but do not fit. */
  excerpt: string;
}
