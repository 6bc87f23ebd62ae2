import { ExplainedError } from "../../core/errors.js";
import { type EventOrigin, OBJECT_KEY, type SourceEvent } from "../../core/event.js";
import type { Listing, Source, UnitBatch, WorkUnit } from "../../core/source.js";
import type { Logger } from "../../observability/logger.js";
import { SalesforceTruncatedAnswerError } from "../../salesforce/errors.js";
import type { ObjectKind } from "./catalog.js";
import { windowQuery } from "./query.js";
import {
  halve,
  planWindows,
  readWindowCheckpoint,
  type Window,
  type WindowPlan,
  windowCheckpoint,
} from "./windows.js";

/** What the objects source needs from Salesforce. */
export interface ObjectsApi {
  describe(sobject: string): Promise<{ fields: { name: string; type: string }[] }>;
  query<T>(soql: string, options?: { batchSize?: number }): AsyncIterable<T[]>;
}

export interface ObjectSourceDeps {
  api: ObjectsApi;
  logger: Logger;
  kind: ObjectKind;
  plan: WindowPlan;
  /**
   * Named in the configuration: a user who cannot read it is told at every poll. Otherwise the
   * object was only a default, and one the user cannot read is left out with one line.
   */
  required: boolean;
  /** The org's time (see SalesforceClient.orgNow): where windows end. */
  now?: () => Date;
  /** The source its windows are part of, when not its own (`objects:<Name>`): a stream's backfill. */
  id?: string;
}

/** Compound fields repeat their components, which are fields of their own; they are not selected. */
const COMPOUND_TYPES = new Set(["address", "location"]);

/** Records per page: Salesforce's largest, so that a busy window costs the fewest calls. */
const BATCH_SIZE = 2000;

/** Records handed to the engine at once: a page goes in slices, so its records die as they are written. */
const SLICE = 250;

/**
 * One Real-Time Event Monitoring store, or SetupAuditTrail, or LoginHistory, read over SOQL in
 * closed time windows. A window is a unit: read to its end, then committed, so a restart resumes
 * at the first window not acknowledged. Each listing reads a trailing overlap again for rows
 * stored late; the engine skips those already delivered by their identity (EventIdentifier, or Id),
 * since the windows of an object share one scope. Pages stream to the outputs as they arrive,
 * so memory holds one page whatever a window holds; a window whose answer comes truncated is
 * read in halves (see readPart).
 */
export class ObjectSource implements Source {
  readonly id: string;
  readonly unitNoun: string;
  private fields: string[] | undefined;
  /** Set when the user cannot read a default object: it lists nothing. */
  private unreadable = false;
  private readonly now: () => Date;

  constructor(private readonly deps: ObjectSourceDeps) {
    this.id = deps.id ?? `objects:${deps.kind.name}`;
    this.unitNoun = `${deps.kind.name} window`;
    this.now = deps.now ?? (() => new Date());
  }

  async open(): Promise<void> {
    const { api, kind, logger, required } = this.deps;
    let described: Awaited<ReturnType<ObjectsApi["describe"]>>;
    try {
      described = await api.describe(kind.name);
    } catch (err) {
      if (!isUnreadable(err)) throw err;
      const why = `This user cannot read ${kind.name}: it needs ${kind.access}.`;
      if (required) {
        throw new ExplainedError(
          `${why} Grant that, or remove ${kind.name} from objects.types.`,
          "end-cycle",
        );
      }
      this.unreadable = true;
      logger.info({ object: kind.name }, `${why} Leaving it out; grant that to collect it.`);
      return;
    }
    this.fields = described.fields.filter((f) => !COMPOUND_TYPES.has(f.type)).map((f) => f.name);
    if (!this.fields.includes(kind.timestamp) || !this.fields.includes(kind.identity)) {
      throw new ExplainedError(
        `${kind.name} has no ${kind.timestamp} or ${kind.identity} field for this user, so it cannot be read without losing rows. Check the Run As user's field-level access.`,
        "end-cycle",
      );
    }
  }

  async list(checkpoint: string | undefined): Promise<Listing> {
    const through = checkpoint === undefined ? undefined : readWindowCheckpoint(checkpoint, this.id);
    const { since, windows } = planWindows(through, this.now(), this.deps.plan);
    if (this.unreadable) return { since, units: [] };
    return { since, units: windows.map((window) => this.unitFor(window)) };
  }

  /** The unit that reads one window (a stream's backfill reads its storage object's windows this way). */
  unitFor(window: Window): WorkUnit {
    const { kind } = this.deps;
    const from = window.from.toISOString();
    const to = window.to.toISOString();
    const origin: EventOrigin = { source: this.id, unit: `${from}/${to}`, eventType: kind.name };
    return {
      key: `${from}/${to}`,
      name: `${kind.name} ${from.slice(0, 19)}Z to ${to.slice(0, 19)}Z`,
      scope: kind.name,
      position: to,
      checkpoint: windowCheckpoint(window),
      origin,
      logFields: { object: kind.name, from, to },
      detail: { object: kind.name, from, to },
      read: () => this.read(window, origin),
    };
  }

  private read(window: Window, origin: EventOrigin): AsyncGenerator<UnitBatch> {
    if (this.fields === undefined) throw new Error(`the ${this.deps.kind.name} source is not open yet`);
    return this.readPart(window, this.fields, origin, { line: 0 });
  }

  /**
   * One query over `part` of a unit's window. An answer that comes done but short of its totalSize,
   * without a nextRecordsUrl (big objects may answer so), is not read: the part is halved and each
   * half read the same way, down to one second, so that no row is left behind and no page more than
   * the one being written is held.
   */
  private async *readPart(
    part: Window,
    fields: string[],
    origin: EventOrigin,
    at: { line: number },
  ): AsyncGenerator<UnitBatch> {
    const { api, kind, logger } = this.deps;
    const soql = windowQuery(kind, fields, part);
    let yielded = false;
    try {
      for await (const page of api.query<Record<string, unknown>>(soql, { batchSize: BATCH_SIZE })) {
        yielded = true;
        let start = 0;
        do {
          const end = Math.min(start + SLICE, page.length);
          yield { events: this.events(page, start, end, origin, at), problems: [] };
          start = end;
        } while (start < page.length);
      }
    } catch (err) {
      // Once rows were handed out, only reading the whole unit again keeps them in order with the rest.
      if (!(err instanceof SalesforceTruncatedAnswerError) || yielded) throw err;
      const halves = halve(part);
      const span = `${part.from.toISOString()} to ${part.to.toISOString()}`;
      if (halves === undefined) {
        throw new ExplainedError(
          `${kind.name} holds more rows in the second ${span} than Salesforce returns in one answer without a nextRecordsUrl (${err.totalSize} rows, ${err.received} returned), so they cannot be read whole; the window is not delivered and is read again at the next poll.`,
          "retry-unit",
        );
      }
      logger.info(
        { object: kind.name, from: part.from.toISOString(), to: part.to.toISOString(), rows: err.totalSize },
        `${kind.name} ${span}: ${err.received} of ${err.totalSize} rows in an answer without a nextRecordsUrl; reading each half of the window apart`,
      );
      for (const half of halves) yield* this.readPart(half, fields, origin, at);
    }
  }

  /**
   * Records [start, end) of a page as events. The page was parsed for this alone: each record is
   * changed in place, and let go by the page once it is an event, so that only the slices the
   * outputs have not yet taken stay alive.
   */
  private events(
    page: (Record<string, unknown> | undefined)[],
    start: number,
    end: number,
    origin: EventOrigin,
    at: { line: number },
  ): SourceEvent[] {
    const { kind } = this.deps;
    const events: SourceEvent[] = new Array(end - start);
    for (let i = start; i < end; i++) {
      const record = page[i]!;
      page[i] = undefined;
      delete record.attributes;
      record[OBJECT_KEY] = kind.name;
      events[i - start] = {
        origin,
        line: ++at.line,
        json: JSON.stringify(record),
        fields: { kind: "record", record },
        identity: String(record[kind.identity] ?? ""),
      };
    }
    return events;
  }
}

/** Salesforce's answers for an object the user or the org cannot see. */
function isUnreadable(err: unknown): boolean {
  const { errorCode, status } = err as { errorCode?: string; status?: number };
  return errorCode === "INVALID_TYPE" || errorCode === "NOT_FOUND" || status === 404;
}
