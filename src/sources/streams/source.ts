import { ExplainedError } from "../../core/errors.js";
import type { EventOrigin, SourceEvent } from "../../core/event.js";
import type { Listing, Source, UnitBatch, WorkUnit } from "../../core/source.js";
import { count } from "../../observability/count.js";
import type { Logger } from "../../observability/logger.js";
import {
  PubSubError,
  type ReplayStart,
  type StreamEvent,
  type Subscription,
  type TopicDescription,
} from "../../salesforce/pubsub/index.js";
import { type ObjectsApi, ObjectSource } from "../objects/source.js";
import { planWindows, type Window } from "../objects/windows.js";
import { abortableSleep } from "../../core/sleep.js";
import { cannotSubscribe, type StreamKind } from "./catalog.js";
import {
  type Backfill,
  readStreamCheckpoint,
  type StreamCheckpoint,
  writeStreamCheckpoint,
} from "./checkpoint.js";
import { eventDate, streamedEvent } from "./events.js";

/** What the streams source needs of the Pub/Sub API. */
export interface PubSubApi {
  topic(name: string): Promise<TopicDescription>;
  subscribe(topic: string, start: ReplayStart, options: { capacity: number }): Subscription;
}

export interface StreamSettings {
  /** Where a first start begins: the newest event, or the oldest the stream keeps. */
  start: "latest" | "earliest";
  /** With `earliest`, events older than this are passed over. */
  lookback: number;
  /** How the storage object is read to fill a gap (see objects' WindowPlan). */
  backfill: { lag: number; overlap: number; window: number };
  /** Events held at most: received and not yet handed to the outputs, or requested. */
  capacity: number;
}

export interface StreamSourceDeps {
  pubsub: PubSubApi;
  /** For the storage object that fills a gap. */
  objects: ObjectsApi;
  logger: Logger;
  kind: StreamKind;
  settings: StreamSettings;
  /** Named in the configuration: a topic the user cannot read is an error, not a line. */
  required: boolean;
  /** The org's time (see SalesforceClient.orgNow). */
  now?: () => Date;
  /**
   * Asks the org its time (a call that costs no API request): the stream's answers carry none, and
   * a gap's bounds and its windows' settling are measured by it.
   */
  syncClock?: () => Promise<unknown>;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

/** How long one listing waits for the first event: a stream with no traffic still cycles, for its backfill. */
const WAIT_MS = 1_000;
/**
 * After the first event, how long more may join it in the same unit: each unit costs an output
 * request and a state commit, so at a hundred events a second this saves ninety of each, for at
 * most this much latency.
 */
const LINGER_MS = 50;
/**
 * A gap's backfill reads the storage object to this long after the stream came back: an event
 * stamped just before the new subscription may be published just after it, and the org's clock
 * is known to the second.
 */
const GAP_MARGIN_MS = 60_000;
const BACKOFF_BASE_MS = 1_000;
/** How often the org's clock is asked for while a gap is being filled. */
const CLOCK_SYNC_MS = 5_000;
const NOTHING_YET = new Date(0).toISOString();
const BACKOFF_MAX_MS = 60_000;

/**
 * One Real-Time Event Monitoring stream over the Pub/Sub API. The subscription stays open across
 * cycles; each cycle's unit is what arrived since the last, and its checkpoint is the replay id of
 * its last event, committed only once every output acknowledged it. Requests for more events
 * follow what the outputs accept (the subscription holds at most `capacity`), so a slow intake
 * slows the stream instead of filling memory.
 *
 * When the stored replay id is refused (older than the stream keeps, or an org migration), the
 * stream resumes at its newest event and the span it missed is read from the storage object in
 * windows, as the objects source reads it; both share one scope, so an event read both ways is
 * delivered once, by EventIdentifier.
 */
export class StreamSource implements Source {
  readonly id: string;
  readonly unitNoun: string;
  readonly streaming = true;
  private readonly now: () => Date;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private unreadable = false;
  private subscription: Subscription | undefined;
  /** The replay id (base64) the checkpoint carries once the units listed so far are delivered. */
  private handedOut = "";
  /** A stored replay id the stream refused: it counts as none. */
  private refusedId: string | undefined;
  /** The stream refused the replay id it was asked to resume from: the next subscription opens a gap. */
  private refused: { message: string } | undefined;
  /** When the open subscription started at LATEST: if it ends before an event of it is delivered, what came since is a gap. */
  private latestSince: Date | undefined;
  /** When this stream was first subscribed: no backfill reads before it. */
  private firstStart: string | undefined;
  /** A gap found by this process, until a listed unit carries it into the checkpoint. */
  private gap: Backfill | undefined;
  /** With `start: earliest`, events before this are passed over. */
  private notBefore = Number.NEGATIVE_INFINITY;
  private failures = 0;
  private storage: ObjectSource | undefined;
  private units = 0;
  private clockSynced = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: StreamSourceDeps) {
    this.id = `streams:${deps.kind.name}`;
    this.unitNoun = `${deps.kind.name} segment`;
    this.now = deps.now ?? (() => new Date());
    this.sleep = deps.sleep ?? abortableSleep;
    this.random = deps.random ?? Math.random;
  }

  async open(): Promise<void> {
    const { pubsub, kind, logger, required } = this.deps;
    let topic: TopicDescription | undefined;
    let refusal: string | undefined;
    try {
      topic = await pubsub.topic(kind.topic);
    } catch (err) {
      if (!(err instanceof PubSubError) || err.kind !== "fatal") throw err;
      refusal = err.message;
    }
    if (topic !== undefined && !topic.canSubscribe) refusal = cannotSubscribe(kind);
    if (refusal === undefined) return;
    if (required)
      throw new ExplainedError(`${refusal} Or remove ${kind.topic} from streams.topics.`, "end-cycle");
    this.unreadable = true;
    logger.info({ topic: kind.topic }, `Leaving ${kind.topic} out: ${refusal}`);
  }

  async list(checkpoint: string | undefined, signal?: AbortSignal): Promise<Listing> {
    const stored = checkpoint === undefined ? undefined : readStreamCheckpoint(checkpoint, this.id);
    const now = this.now();
    if (this.unreadable) return { since: now, units: [] };
    const committed = this.resumeFrom(stored);
    // A unit that was not delivered leaves the checkpoint behind what was handed out: the stream
    // is read again from the checkpoint, or its events would be skipped.
    if (this.subscription !== undefined && committed !== this.handedOut) this.unsubscribe();
    if (this.subscription === undefined) await this.subscribe(stored, committed);

    let position: StreamCheckpoint = {
      replayId: this.handedOut,
      // Nothing delivered yet: the first events' EventDate will say.
      at: stored?.at ?? NOTHING_YET,
      since: stored?.since ?? this.firstStart,
      backfill: stored?.backfill,
    };
    // A first start is recorded, alone, before any event is taken: a restart after it knows where
    // the stream started, and fills what it missed since.
    if (stored === undefined && this.gap === undefined) {
      const start = this.startUnit(position);
      return { since: now, forgetBefore: now, units: [start] };
    }
    const units: WorkUnit[] = [];
    const backfill = widest(stored?.backfill, this.gap);
    if (backfill !== undefined) {
      const windows = await this.backfillUnits(position, backfill);
      units.push(...windows.units);
      position = windows.position;
      this.gap = undefined;
    }
    const events = await this.take(signal);
    if (events.length > 0) units.push(this.fetchUnit(events, position));
    const last = units.at(-1);
    if (last !== undefined) this.handedOut = readStreamCheckpoint(last.checkpoint, this.id).replayId;

    // Delivered units are kept only as long as a gap's backfill could read their events again.
    const from = Math.min(
      Date.parse(position.at),
      backfill === undefined ? Number.POSITIVE_INFINITY : Date.parse(backfill.through),
    );
    const forgetBefore = new Date(from - this.deps.settings.backfill.overlap - GAP_MARGIN_MS);
    return { since: forgetBefore, forgetBefore, units };
  }

  /** The replay id to resume after, from the checkpoint: none when there is none or the stream refused it. */
  private resumeFrom(stored: StreamCheckpoint | undefined): string {
    const replayId = stored?.replayId ?? "";
    return replayId === this.refusedId ? "" : replayId;
  }

  /**
   * Subscribes after the committed replay id, or where a stream starts when there is none: at a
   * first start as configured; otherwise at the newest event, opening a gap for what the stream
   * went on without (a refused replay id, or a LATEST subscription that ended before any of its
   * events was delivered).
   */
  private async subscribe(stored: StreamCheckpoint | undefined, committed: string): Promise<void> {
    const { pubsub, kind, settings } = this.deps;
    await this.syncClock();
    let start: ReplayStart;
    if (committed !== "") {
      start = { preset: "custom", replayId: Buffer.from(committed, "base64") };
      this.latestSince = undefined;
    } else if (this.latestSince === undefined && (stored === undefined || this.restartsEarliest(stored))) {
      start = { preset: settings.start };
      if (settings.start === "earliest") this.notBefore = this.now().getTime() - settings.lookback;
      else this.latestSince = this.now();
      this.firstStart ??= new Date(
        settings.start === "earliest" ? this.notBefore : this.now().getTime(),
      ).toISOString();
    } else {
      this.openGap(stored);
      start = { preset: "latest" };
      this.latestSince = this.now();
    }
    this.subscription = pubsub.subscribe(kind.topic, start, { capacity: settings.capacity });
    this.handedOut = committed;
  }

  /** Nothing of an `earliest` first start was delivered yet: it starts at the earliest again. */
  private restartsEarliest(stored: StreamCheckpoint): boolean {
    const { start } = this.deps.settings;
    return (
      start === "earliest" &&
      stored.at === NOTHING_YET &&
      stored.backfill === undefined &&
      this.refused === undefined
    );
  }

  private unsubscribe(): void {
    this.subscription?.close();
    this.subscription = undefined;
  }

  /** What arrived: up to `capacity` events, waiting a second for the first; what came before a failure. */
  private async take(signal?: AbortSignal): Promise<StreamEvent[]> {
    const subscription = this.subscription as Subscription;
    const max = this.deps.settings.capacity;
    const events: StreamEvent[] = [];
    try {
      events.push(...(await subscription.take(max, WAIT_MS, signal)));
      if (events.length > 0 && events.length < max && !signal?.aborted) {
        await this.sleep(LINGER_MS, signal);
        events.push(...(await subscription.take(max - events.length, 0, signal)));
      }
      if (events.length > 0) this.failures = 0;
    } catch (err) {
      if (!(err instanceof PubSubError)) throw err;
      this.unsubscribe();
      await this.recover(err, signal);
    }
    return events;
  }

  /** After the stream ended: resubscribe at once, later, or with a gap to fill, as the error says. */
  private async recover(err: PubSubError, signal?: AbortSignal) {
    const { logger, kind } = this.deps;
    // A permission or a licence this topic lacks: the other sources go on, and this one is tried again later.
    if (err.kind === "fatal") throw new ExplainedError(err.message, "end-cycle", { cause: err });
    if (err.kind === "replay-refused" && this.handedOut !== "") {
      this.refusedId = this.handedOut;
      this.refused = { message: err.message };
      return;
    }
    // An auth error is resubscribed at once (the client renewed the session); a second in a row waits.
    this.failures++;
    const immediate = err.kind === "auth" && this.failures === 1;
    const delay = immediate ? 0 : this.backoff();
    const when = delay === 0 ? "now" : `in ${Math.round(delay / 100) / 10}s`;
    const log = this.failures === 1 ? logger.warn.bind(logger) : logger.debug.bind(logger);
    log(
      { topic: kind.topic, err: err.message, attempt: this.failures },
      `${kind.topic}: ${err.message}; subscribing again from the last delivered event ${when}`,
    );
    if (delay > 0) await this.sleep(delay, signal);
  }

  /** Learns the org's time, at most every few seconds. */
  private async syncClock(): Promise<void> {
    const { syncClock } = this.deps;
    if (syncClock === undefined || performance.now() - this.clockSynced < CLOCK_SYNC_MS) return;
    this.clockSynced = performance.now();
    await syncClock();
  }

  /** Exponential, with jitter so that many collectors do not come back at the same instant. */
  private backoff(): number {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (this.failures - 1));
    return Math.round(ceiling * (0.5 + this.random() / 2));
  }

  /**
   * The stream goes on from its newest event without what came since `from`: that span is read
   * from the storage object, up to a little after now, or reported lost when there is none.
   */
  private openGap(stored: StreamCheckpoint | undefined): void {
    const { logger, kind, settings } = this.deps;
    const resumed = this.now();
    let from: Date;
    let why: string;
    if (this.refused !== undefined || this.latestSince === undefined) {
      // From a little before the last delivered event when there is a storage object to read again
      // (the stream's order is not EventDate's), never before the stream's first start.
      const overlap = kind.storage === undefined ? 0 : settings.backfill.overlap;
      const at = Date.parse(stored?.at ?? resumed.toISOString()) - overlap;
      const since = Date.parse(stored?.since ?? this.firstStart ?? "") || Number.NEGATIVE_INFINITY;
      from = new Date(Math.max(at, since));
      why =
        this.refused === undefined
          ? "The stream has no replay id to resume from."
          : "Salesforce refused the stored replay id: it is older than the stream keeps (about three days), or the org was migrated.";
    } else {
      from = this.latestSince;
      why = `The stream ended before any event since ${from.toISOString()} was delivered, and a new subscription can only start at the newest event.`;
    }
    const span = {
      topic: kind.topic,
      from: from.toISOString(),
      to: resumed.toISOString(),
      err: this.refused?.message,
    };
    this.refused = undefined;
    const until = new Date(resumed.getTime() + GAP_MARGIN_MS).toISOString();
    if (kind.storage === undefined) {
      logger.warn(
        span,
        `${kind.topic}: ${why} Events from ${span.from} to ${span.to} are lost: ${kind.name} has no storage object to read them from. Resuming at the newest event.`,
      );
      return;
    }
    logger.warn(
      { ...span, object: kind.storage.name },
      `${kind.topic}: ${why} Reading ${kind.storage.name} from ${span.from} to ${until} to fill the gap, and resuming the stream at its newest event.`,
    );
    this.gap = widest(this.gap, { through: span.from, until });
  }

  /** The storage object's windows of a gap that have settled, each a unit of this source. */
  private async backfillUnits(
    before: StreamCheckpoint,
    backfill: Backfill,
  ): Promise<{ units: WorkUnit[]; position: StreamCheckpoint }> {
    const storage = await this.storageSource();
    await this.syncClock();
    const until = new Date(backfill.until);
    const { windows } = planWindows(new Date(backfill.through), this.now(), {
      ...this.deps.settings.backfill,
      lookback: 0,
      overlap: 0,
      until,
    });
    let position: StreamCheckpoint = { ...before, backfill };
    const units = windows.map((window) => {
      const rest: Backfill | undefined =
        window.to.getTime() >= until.getTime()
          ? undefined
          : { through: window.to.toISOString(), until: backfill.until };
      position = { ...before, backfill: rest };
      return this.backfillUnit(storage, window, writeStreamCheckpoint(position));
    });
    return { units, position };
  }

  private backfillUnit(storage: ObjectSource, window: Window, checkpoint: string): WorkUnit {
    const unit = storage.unitFor(window);
    return {
      ...unit,
      key: `backfill:${unit.key}`,
      name: `${unit.name} (filling a gap of ${this.deps.kind.topic})`,
      checkpoint,
    };
  }

  /** The storage object, described once, when a gap first needs it. */
  private async storageSource(): Promise<ObjectSource> {
    const { kind, objects, logger, settings } = this.deps;
    if (this.storage !== undefined) return this.storage;
    const storage = kind.storage as NonNullable<StreamKind["storage"]>;
    const source = new ObjectSource({
      api: objects,
      logger,
      kind: storage,
      plan: { ...settings.backfill, lookback: 0 },
      required: true,
      now: this.now,
      id: this.id,
    });
    try {
      await source.open();
    } catch (err) {
      if (!(err instanceof ExplainedError)) throw err;
      throw new ExplainedError(
        `${kind.topic} has a gap that ${storage.name} should fill, and this user cannot read it: it needs ${storage.access}. Grant that; the gap stays in the checkpoint until then.`,
        "end-cycle",
        { cause: err },
      );
    }
    this.storage = source;
    return source;
  }

  private startUnit(position: StreamCheckpoint): WorkUnit {
    const { kind } = this.deps;
    const at = position.since ?? this.now().toISOString();
    const key = `start:${at}`;
    return {
      key,
      name: `${kind.name} first subscription at ${at}`,
      position: at,
      checkpoint: writeStreamCheckpoint(position),
      origin: { source: this.id, unit: key, eventType: kind.storage?.name ?? kind.name },
      logFields: { topic: kind.topic },
      read: () => once({ events: [], problems: [] }),
    };
  }

  private fetchUnit(received: StreamEvent[], position: StreamCheckpoint): WorkUnit {
    const { kind } = this.deps;
    const n = ++this.units;
    const lastReplayId = received[received.length - 1].replayId.toString("base64");
    const key = `fetch:${lastReplayId}`;
    const origin: EventOrigin = { source: this.id, unit: key, eventType: kind.storage?.name ?? kind.name };
    const events: SourceEvent[] = [];
    let newest = Date.parse(position.at);
    for (const event of received) {
      const converted = streamedEvent(kind, event, origin, events.length + 1);
      const at = eventDate(converted);
      if (at !== undefined && at < this.notBefore) continue;
      if (at !== undefined && at > newest) newest = at;
      events.push(converted);
    }
    const at = new Date(newest).toISOString();
    const checkpoint = writeStreamCheckpoint({ ...position, replayId: lastReplayId, at });
    return {
      key,
      name: `${kind.name} segment ${n} (${count(events.length, "event")} to ${at})`,
      scope: kind.storage?.name,
      position: at,
      checkpoint,
      origin,
      logFields: { topic: kind.topic, events: events.length },
      detail: { topic: kind.topic, events: events.length },
      read: () => once({ events, problems: [] }),
    };
  }
}

/** Both spans to fill, as one: a gap found while an earlier one is still being filled. */
function widest(a: Backfill | undefined, b: Backfill | undefined): Backfill | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    through: iso(Math.min(Date.parse(a.through), Date.parse(b.through))),
    until: iso(Math.max(Date.parse(a.until), Date.parse(b.until))),
  };
}

async function* once(batch: UnitBatch): AsyncGenerator<UnitBatch> {
  yield batch;
}
