import { ExplainedError } from "../../core/errors.js";
import { type EventOrigin, OBJECT_KEY, type SourceEvent } from "../../core/event.js";
import type { Listing, Source, UnitBatch, WorkUnit } from "../../core/source.js";
import type { Logger } from "../../observability/logger.js";
import type { ObjectKind } from "./catalog.js";
import { windowQuery } from "./query.js";
import {
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
}

/** Compound fields repeat their components, which are fields of their own; they are not selected. */
const COMPOUND_TYPES = new Set(["address", "location"]);

/** Records per page: Salesforce's largest, so that a busy window costs the fewest calls. */
const BATCH_SIZE = 2000;

/**
 * One Real-Time Event Monitoring store, or SetupAuditTrail, or LoginHistory, read over SOQL in
 * closed time windows. A window is a unit: read to its end, then committed, so a restart resumes
 * at the first window not acknowledged. Each listing reads a trailing overlap again for rows
 * stored late; the engine skips those already delivered by their identity (EventIdentifier, or Id),
 * since the windows of an object share one scope. Pages stream to the outputs as they arrive,
 * so memory holds one page whatever a window holds.
 */
export class ObjectSource implements Source {
  readonly id: string;
  readonly unitNoun: string;
  private fields: string[] | undefined;
  /** Set when the user cannot read a default object: it lists nothing. */
  private unreadable = false;
  private readonly now: () => Date;

  constructor(private readonly deps: ObjectSourceDeps) {
    this.id = `objects:${deps.kind.name}`;
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
    return { since, units: windows.map((window) => this.unit(window)) };
  }

  private unit(window: Window): WorkUnit {
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

  private async *read(window: Window, origin: EventOrigin): AsyncGenerator<UnitBatch> {
    const { api, kind } = this.deps;
    if (this.fields === undefined) throw new Error(`the ${kind.name} source is not open yet`);
    const soql = windowQuery(kind, this.fields, window);
    let line = 0;
    for await (const page of api.query<Record<string, unknown>>(soql, { batchSize: BATCH_SIZE })) {
      const events: SourceEvent[] = new Array(page.length);
      for (let i = 0; i < page.length; i++) {
        // The page was parsed for this loop alone: the record is changed in place, not copied.
        const record = page[i];
        delete record.attributes;
        record[OBJECT_KEY] = kind.name;
        line++;
        events[i] = {
          origin,
          line,
          json: JSON.stringify(record),
          fields: { kind: "record", record },
          identity: String(record[kind.identity] ?? ""),
        };
      }
      yield { events, problems: [] };
    }
  }
}

/** Salesforce's answers for an object the user or the org cannot see. */
function isUnreadable(err: unknown): boolean {
  const { errorCode, status } = err as { errorCode?: string; status?: number };
  return errorCode === "INVALID_TYPE" || errorCode === "NOT_FOUND" || status === 404;
}
