import { type Logger, secrets } from "../../observability/logger.js";
import type { DeadLetterSink } from "../../core/dead-letters.js";
import type { EventOrigin, SourceEvent } from "../../core/event.js";
import { type Output, OutputError } from "../../core/output.js";
import {
  DEFAULT_RETRY_POLICY,
  MAX_EVENT_CHARS,
  SEKOIA_DEFAULTS,
  type SekoiaOutputOptions,
} from "./config.js";
import { BatchDelivery, KEY_REJECTED, type SealedBatch, type SekoiaCounters } from "./delivery.js";
import { BatchBody, BodyBuffers } from "./encoder.js";
import { IntakeService } from "./service.js";

/** What `sfevents check` reports about the intake. */
export interface IntakeProbe {
  ok: boolean;
  /** The outcome as a sentence, with the fix when something is wrong. */
  detail: string;
}

const PROBE_TIMEOUT_MS = 10_000;
/** Units whose oversized events were already logged; a bound, so a long run cannot grow it forever. */
const LOGGED_UNITS_LIMIT = 1_000;

/**
 * Delivers events to a Sekoia.io intake through `POST /batch`.
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
export class SekoiaOutput implements Output {
  readonly name = "sekoia";
  readonly counters: SekoiaCounters = {
    eventsSent: 0,
    batchesSent: 0,
    retries: 0,
    deadLetters: 0,
    possibleDuplicates: 0,
  };
  private readonly service: IntakeService;
  private readonly delivery: BatchDelivery;
  private readonly logger: Logger;
  private readonly deadLetters: DeadLetterSink;
  private readonly head: Buffer;
  private readonly buffers: BodyBuffers;
  private readonly maxBatchBytes: number;
  private readonly maxBatchEvents: number;
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

  constructor(options: SekoiaOutputOptions) {
    secrets.add(options.intakeKey);
    this.logger = options.logger;
    this.deadLetters = options.deadLetters;
    this.service = new IntakeService({
      url: options.url ?? SEKOIA_DEFAULTS.url,
      dispatcher: options.dispatcher,
      requestTimeoutMs: options.requestTimeoutMs ?? SEKOIA_DEFAULTS.requestTimeoutMs,
      compression: options.compression ?? SEKOIA_DEFAULTS.compression,
    });
    this.head = BatchBody.head(options.intakeKey);
    this.maxBatchBytes = options.maxBatchBytes ?? SEKOIA_DEFAULTS.maxBatchBytes;
    this.maxBatchEvents = options.maxBatchEvents ?? SEKOIA_DEFAULTS.maxBatchEvents;
    this.lingerMs = options.lingerMs ?? SEKOIA_DEFAULTS.lingerMs;
    this.maxInFlight = options.maxInFlight ?? SEKOIA_DEFAULTS.maxInFlight;
    // In flight, one sealed and waiting for a slot, one filling: the usual peak.
    this.buffers = new BodyBuffers(this.maxBatchBytes, this.maxInFlight + 2);
    this.delivery = new BatchDelivery(
      this.service,
      { ...DEFAULT_RETRY_POLICY, ...options.retry },
      this.logger,
      this.counters,
      this.deadLetters,
    );
    this.filling = this.newBatch();
  }

  write(event: SourceEvent): void | Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (event.json.length > MAX_EVENT_CHARS) return this.setAside(event);
    if (!this.filling.tryAdd(event.json)) {
      this.seal();
      this.filling.tryAdd(event.json);
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
    this.abort.abort(new OutputError("The Sekoia.io output was closed.", false));
    await this.waitForIdle();
  }

  /**
   * Sends an empty batch: it reaches the intake and presents the key without adding any event to
   * the SIEM. One attempt, no retries: `check` reports what it saw, and no more than it proves.
   */
  async probe(): Promise<IntakeProbe> {
    const where = this.service.endpoint;
    const empty = new BatchBody(this.head, Buffer.allocUnsafe(this.head.length + 2));
    const answer = await this.service.send(
      await this.service.prepare(empty.close()),
      0,
      new AbortController().signal,
      PROBE_TIMEOUT_MS,
    );
    const fixUrl = "Check outputs.sekoia.url: it is the intake's base URL, without /batch.";
    switch (answer.kind) {
      case "accepted":
        return {
          ok: true,
          detail: `${where} answers like a Sekoia.io intake: it acknowledged an empty batch ({"event_ids": []}) without rejecting the key. An empty batch may not be checked against the key; the first events collected are what proves it.`,
        };
      case "key-rejected":
        return { ok: false, detail: `${KEY_REJECTED} (HTTP ${answer.status} from ${where})` };
      case "untrusted":
        return { ok: false, detail: answer.reason };
      case "unavailable":
        return {
          ok: false,
          detail: `The Sekoia.io intake at ${where} did not answer as expected (${answer.reason}). Check outputs.sekoia.url and that this host can reach it (proxy, firewall).`,
        };
      case "unacknowledged":
        return {
          ok: false,
          detail: `${where} does not answer like a Sekoia.io intake (${answer.reason}), so no event sent there would count as delivered. ${fixUrl}`,
        };
      case "refused":
      case "too-large":
      case "misdirected":
        return {
          ok: false,
          detail: `The Sekoia.io intake at ${where} refused an empty batch (HTTP ${answer.kind === "too-large" ? 413 : answer.status}${answer.detail ? `: ${answer.detail}` : ""}). ${fixUrl}`,
        };
    }
  }

  private newBatch(): BatchBody {
    this.fillingOrigins = [];
    this.fillingLines = [];
    return new BatchBody(this.head, this.buffers.take());
  }

  /** An event the intake would refuse is kept, never dropped; the log names its unit once. */
  private setAside(event: SourceEvent): Promise<void> {
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
          chars: event.json.length,
          deadLetters: this.deadLetters.path,
        },
        `An event over Sekoia.io's ${MAX_EVENT_CHARS}-character limit was written to the dead-letter file instead; further ones from this unit are counted, not logged`,
      );
    }
    return this.deadLetters.write({
      reason: `event of ${event.json.length} characters, over the Sekoia.io intake's limit of ${MAX_EVENT_CHARS}`,
      source,
      unit,
      eventType,
      line: event.line,
      payload: event.json,
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
        : new OutputError(`Delivery to Sekoia.io failed: ${secrets.redact(String(err))}`, false);
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
