import type { Dispatcher } from "undici";
import { type Logger, secrets } from "../../observability/logger.js";
import type { DeadLetterSink } from "../../core/dead-letters.js";
import type { EventOrigin, SourceEvent } from "../../core/event.js";
import { type Output, OutputError } from "../../core/output.js";
import { BatchBody, BodyBuffers } from "./body.js";
import { type BatchCounters, BatchDelivery, type RetryPolicy, type SealedBatch } from "./delivery.js";
import { BatchEndpoint } from "./exchange.js";
import type { BatchProtocol } from "./protocol.js";

export interface HttpBatchOptions {
  /** The output's name in the engine's reports: its key under `outputs:`. */
  name: string;
  /** Where batches are POSTed. */
  endpoint: string;
  protocol: BatchProtocol;
  /** Where events the destination will not take are kept. */
  deadLetters: DeadLetterSink;
  logger: Logger;
  /** Proxy, CA bundle and connection pool; undici's global dispatcher when absent. */
  dispatcher?: Dispatcher;
  /** Request body bytes (before compression) that a batch never exceeds. */
  maxBatchBytes: number;
  maxBatchEvents: number;
  /** The longest event (in characters of its JSON) the destination takes; longer ones are dead-lettered. */
  maxEventChars: number;
  /** How long the first event of a batch waits for company before the batch goes out anyway. */
  lingerMs: number;
  /** Batches sent at once; one more fills meanwhile, and then write() makes the caller wait. */
  maxInFlight: number;
  retry: RetryPolicy;
  /** How long one request waits for an answer; one that times out may have been stored, and is sent again. */
  requestTimeoutMs: number;
  compression: "gzip" | "none";
  /** What the destination receives of an event: its raw JSON unless the destination reads another shape better. */
  text?: (event: SourceEvent) => string;
}

const rawJson = (event: SourceEvent): string => event.json;

/** Units whose oversized events were already logged; a bound, so a long run cannot grow it forever. */
const LOGGED_UNITS_LIMIT = 1_000;

/**
 * Delivers events to an HTTP endpoint that takes them in batches; what makes the destination itself
 * (its body, how it acknowledges) is its BatchProtocol.
 *
 * Events are packed into batches bounded by body size, event count and a linger time. At most
 * `maxInFlight` batches are sent at once and one more fills meanwhile; once a sealed batch waits for
 * a slot, write() returns a promise, so memory is bounded whatever the pace of the source: at most
 * maxInFlight + 3 batch buffers (a flush may seal one more behind a waiting one), of which
 * maxInFlight + 2 are kept for reuse, and a batch being split holds up to its own size in copies.
 * A 429, 5xx, timeout, network error or 2xx that does not acknowledge every event is retried with
 * backoff until the retry budget is spent; a batch refused for its size or content is split (see
 * BatchDelivery); a failed delivery discards everything not yet acknowledged (the caller re-sends
 * the files concerned), is reported by every write() and by the next flush(), after which the
 * output starts afresh.
 */
export class HttpBatchOutput implements Output {
  readonly name: string;
  readonly counters: BatchCounters = {
    eventsSent: 0,
    batchesSent: 0,
    retries: 0,
    deadLetters: 0,
    possibleDuplicates: 0,
  };
  /** Where batches go, for the probe of a destination that has one. */
  protected readonly destination: BatchEndpoint;
  private readonly delivery: BatchDelivery;
  private readonly logger: Logger;
  private readonly deadLetters: DeadLetterSink;
  private readonly protocol: BatchProtocol;
  private readonly buffers: BodyBuffers;
  private readonly maxBatchEvents: number;
  private readonly maxEventChars: number;
  private readonly text: (event: SourceEvent) => string;
  private readonly lingerMs: number;
  private readonly maxInFlight: number;

  private filling: BatchBody;
  /** Where each event of the filling batch comes from: kept apart so that write() allocates nothing per event. */
  private fillingOrigins: EventOrigin[] = [];
  private fillingLines: number[] = [];
  private lingerTimer: NodeJS.Timeout | undefined;
  private readonly queued: SealedBatch[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  /** Writers waiting for the queued batch to leave; flushes waiting for everything to settle. */
  private spaceWaiters: { resolve: () => void; reject: (err: OutputError) => void }[] = [];
  private idleWaiters: (() => void)[] = [];
  private failure: OutputError | undefined;
  /** Aborts the requests and waits of a delivery that has failed, or of a closing output. */
  private abort = new AbortController();
  private readonly unitsWithOversizedEvents = new Set<string>();

  constructor(options: HttpBatchOptions) {
    this.name = options.name;
    this.logger = options.logger;
    this.deadLetters = options.deadLetters;
    this.protocol = options.protocol;
    this.destination = new BatchEndpoint({
      endpoint: options.endpoint,
      protocol: options.protocol,
      dispatcher: options.dispatcher,
      requestTimeoutMs: options.requestTimeoutMs,
      compression: options.compression,
    });
    this.maxBatchEvents = options.maxBatchEvents;
    this.maxEventChars = options.maxEventChars;
    this.text = options.text ?? rawJson;
    this.lingerMs = options.lingerMs;
    this.maxInFlight = options.maxInFlight;
    // In flight, one sealed and waiting for a slot, one filling: the usual peak.
    this.buffers = new BodyBuffers(options.maxBatchBytes, this.maxInFlight + 2);
    this.delivery = new BatchDelivery(
      this.destination,
      options.retry,
      this.logger,
      this.counters,
      this.deadLetters,
    );
    this.filling = this.newBatch();
  }

  write(event: SourceEvent): void | Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const text = this.text(event);
    if (text.length > this.maxEventChars) return this.setAside(event, text);
    if (!this.filling.tryAdd(text)) {
      this.seal();
      this.filling.tryAdd(text);
    }
    this.fillingOrigins.push(event.origin);
    this.fillingLines.push(event.line);
    if (this.filling.events >= this.maxBatchEvents) this.seal();
    else if (this.filling.events === 1) this.startLinger();
    if (this.queued.length > 0) return this.waitForSpace();
  }

  get possibleDuplicates(): number {
    return this.counters.possibleDuplicates;
  }

  get retries(): number {
    return this.counters.retries;
  }

  async flush(): Promise<void> {
    if (!this.failure) this.seal();
    await this.waitForIdle();
    const failure = this.failure;
    if (failure) {
      this.failure = undefined;
      this.abort = new AbortController();
      throw failure;
    }
  }

  /**
   * Abandons what was not flushed (it was never acknowledged, so no checkpoint covers it). The
   * dead-letter file and the dispatcher belong to the caller, who closes them.
   */
  async close(): Promise<void> {
    this.discard();
    this.abort.abort(new OutputError(`The ${this.protocol.words.vendor} output was closed.`, false));
    await this.waitForIdle();
  }

  private newBatch(): BatchBody {
    this.fillingOrigins = [];
    this.fillingLines = [];
    return new BatchBody(this.protocol.body, this.buffers.take());
  }

  /** An event the destination would refuse is kept, never dropped; the log names its unit once. */
  private setAside(event: SourceEvent, text: string): Promise<void> {
    this.counters.deadLetters++;
    const { source, unit, eventType } = event.origin;
    if (!this.unitsWithOversizedEvents.has(unit)) {
      if (this.unitsWithOversizedEvents.size >= LOGGED_UNITS_LIMIT) this.unitsWithOversizedEvents.clear();
      this.unitsWithOversizedEvents.add(unit);
      this.logger.warn(
        {
          source,
          unit,
          eventType,
          line: event.line,
          chars: text.length,
          deadLetters: this.deadLetters.path,
        },
        `An event over ${this.protocol.words.vendor}'s ${this.maxEventChars}-character limit was written to the dead-letter file instead; further ones from this unit are counted, not logged`,
      );
    }
    return this.deadLetters.write({
      reason: `event of ${text.length} characters, over the ${this.protocol.words.vendor} ${this.protocol.words.receiver}'s limit of ${this.maxEventChars}`,
      source,
      unit,
      eventType,
      line: event.line,
      payload: text,
    });
  }

  private startLinger(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = setTimeout(() => this.seal(), this.lingerMs);
    this.lingerTimer.unref();
  }

  /** Closes the filling batch and hands it to the senders. */
  private seal(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.filling.events === 0) return;
    this.queued.push({
      encoded: this.filling.seal(),
      origins: this.fillingOrigins,
      lines: this.fillingLines,
      memory: this.filling.memory,
    });
    this.filling = this.newBatch();
    this.pump();
  }

  private pump(): void {
    while (this.inFlight.size < this.maxInFlight && this.queued.length > 0) {
      const batch = this.queued.shift()!;
      const delivery: Promise<void> = this.delivery
        .deliver(batch, this.abort.signal)
        .catch((err: unknown) => this.fail(err))
        .finally(() => {
          this.buffers.giveBack(batch.memory);
          this.inFlight.delete(delivery);
          this.pump();
        });
      this.inFlight.add(delivery);
    }
    this.notify();
  }

  private notify(): void {
    if (this.queued.length === 0) {
      const waiters = this.spaceWaiters;
      this.spaceWaiters = [];
      for (const waiter of waiters) waiter.resolve();
    }
    if (this.queued.length === 0 && this.inFlight.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private waitForSpace(): Promise<void> {
    return new Promise((resolve, reject) => this.spaceWaiters.push({ resolve, reject }));
  }

  private waitForIdle(): Promise<void> {
    if (this.queued.length === 0 && this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The first failure wins: it stops the other deliveries, whose batches the caller re-sends anyway. */
  private fail(err: unknown): void {
    if (this.failure) return;
    this.failure =
      err instanceof OutputError
        ? err
        : new OutputError(
            `Delivery to ${this.protocol.words.vendor} failed: ${secrets.redact(String(err))}`,
            false,
          );
    this.abort.abort(this.failure);
    // Waiting writers learn of the failure before the discard below would let them through.
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const waiter of waiters) waiter.reject(this.failure);
    this.discard();
  }

  private discard(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    for (const batch of this.queued) this.buffers.giveBack(batch.memory);
    this.queued.length = 0;
    if (this.filling.events > 0) {
      this.buffers.giveBack(this.filling.memory);
      this.filling = this.newBatch();
    }
    this.notify();
  }
}
