import { setTimeout as sleep } from "node:timers/promises";
import { formatDuration } from "../../core/duration.js";
import { backoffDelay } from "../../http/backoff.js";
import { OutageLog } from "../../http/outage.js";
import type { Logger } from "../../observability/logger.js";
import type { DeadLetterSink } from "../../core/dead-letters.js";
import type { EventOrigin } from "../../core/event.js";
import { OutputError } from "../../core/output.js";
import type { EncodedBatch } from "./body.js";
import type { BatchEndpoint } from "./exchange.js";
import type { BatchAnswer, DestinationWords } from "./protocol.js";

/** How a delivery is retried: exponential backoff with full jitter, within a time budget. */
export interface RetryPolicy {
  /** The ceiling of the first wait; each retry doubles it, up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Past this long since the first attempt, the delivery gives up and the files go back to the source. */
  maxElapsedMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  maxElapsedMs: 15 * 60_000,
};

export interface BatchCounters {
  /** Events the destination acknowledged. */
  eventsSent: number;
  /** Requests the destination acknowledged (each part of a split batch counts). */
  batchesSent: number;
  /** Requests sent again after a 429, a 5xx, a timeout, a network error or a 2xx that acknowledged nothing. */
  retries: number;
  /** Events kept in the dead-letter file instead: over the destination's size limit, or refused by it. */
  deadLetters: number;
  /**
   * Events of requests that timed out: the destination may have stored them before the answer was due,
   * and they are sent again (now, or with their file on a later cycle), so the SIEM may hold them twice.
   */
  possibleDuplicates: number;
}

/** A batch handed to the delivery: its body, and where each of its events comes from. */
export interface SealedBatch {
  encoded: EncodedBatch;
  /** The origin and line of event i, to name it in a dead letter. */
  origins: EventOrigin[];
  lines: number[];
  /** The buffer the body is written in, reused once the batch is settled. */
  memory: Buffer;
}

/** The answers after which a batch is split rather than sent again as it is. */
type Refusal = Extract<BatchAnswer, { kind: "refused" | "too-large" }>;

/**
 * Gets one batch accepted: retries while the destination is unavailable, within the retry budget; splits
 * a batch that is too large (413) or refused (400) until every event is either acknowledged or, alone
 * and still refused, in the dead-letter file; turns every other outcome into an OutputError. Outages
 * are logged when they start and when they end, each retry at debug level only, however many batches
 * are retrying at once or cycles fail meanwhile.
 */
export class BatchDelivery {
  private readonly outage: OutageLog;
  private tooLargeLogged = false;
  private readonly words: DestinationWords;
  /** What takes the batches, with its vendor: "Sekoia.io intake". */
  private readonly receiver: string;

  constructor(
    private readonly destination: BatchEndpoint,
    private readonly retry: RetryPolicy,
    private readonly logger: Logger,
    private readonly counters: BatchCounters,
    private readonly deadLetters: DeadLetterSink,
  ) {
    this.words = destination.protocol.words;
    this.receiver = `${this.words.vendor} ${this.words.receiver}`;
    // One outage spans every batch retrying meanwhile.
    this.outage = new OutageLog(
      logger,
      {
        began: `The ${this.receiver} is unavailable; retrying with backoff`,
        retrying: `Retrying a batch; the ${this.receiver} is still unavailable`,
        ended: `The ${this.receiver} is accepting events again`,
      },
      { endpoint: destination.endpoint },
    );
  }

  async deliver(batch: SealedBatch, signal: AbortSignal): Promise<void> {
    await this.deliverPart(batch, batch.encoded, 0, signal);
  }

  /**
   * Events [first, first + part.events) of the batch. Halves are sent one after the other, so a split
   * holds at most one copy of the batch besides the batch itself (each half is half the previous one).
   */
  private async deliverPart(
    batch: SealedBatch,
    part: EncodedBatch,
    first: number,
    signal: AbortSignal,
  ): Promise<void> {
    const refusal = await this.send(part, signal);
    if (refusal === undefined) return;
    if (part === batch.encoded) await this.checkRefusal(part, refusal, signal);
    if (part.events === 1) return this.setAside(batch, first, part.event(0), refusal);
    const half = Math.ceil(part.events / 2);
    await this.deliverPart(batch, part.slice(0, half), first, signal);
    await this.deliverPart(batch, part.slice(half, part.events), first + half, signal);
  }

  /** One body until the destination acknowledges it (undefined) or refuses what it holds. */
  private async send(part: EncodedBatch, signal: AbortSignal): Promise<Refusal | undefined> {
    const payload = await this.destination.prepare(part.body);
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      const answer = await this.destination.send(payload, part.events, signal);
      switch (answer.kind) {
        case "accepted":
          this.counters.batchesSent++;
          this.counters.eventsSent += part.events;
          this.outage.recovered();
          return undefined;
        case "refused":
        case "too-large":
          return answer;
        case "credentials-rejected":
          throw new OutputError(this.words.credentialsRejected, true);
        case "untrusted":
          throw new OutputError(answer.reason, true);
        case "misdirected":
          throw new OutputError(
            `${this.destination.endpoint} answered HTTP ${answer.status}${answer.detail ? ` (${answer.detail})` : ""}, which no batch can change. ${this.words.checkUrl} and any proxy in between.`,
            true,
          );
        case "unavailable":
        case "unacknowledged": {
          const timedOut = answer.kind === "unavailable" && answer.timedOut === true;
          if (timedOut) this.counters.possibleDuplicates += part.events;
          // A Retry-After longer than the whole budget spends it: the delivery gives up below.
          const jittered = backoffDelay(
            { ...this.retry, maxRetryAfterMs: this.retry.maxElapsedMs },
            attempt,
            answer.kind === "unavailable" ? answer.retryAfterMs : undefined,
          );
          // A destination too slow to answer in time is overloaded, and may still be storing the batch:
          // sending it again at once (full jitter can draw zero) would only add load and duplicates.
          // It gets as long again as it was given, up to the longest backoff.
          const floor = Math.min(this.destination.requestTimeoutMs, this.retry.maxDelayMs);
          const delay = timedOut ? Math.max(jittered, floor) : jittered;
          if (Date.now() - started + delay >= this.retry.maxElapsedMs) {
            // The caller reports this failure. The outage goes on until a batch is accepted, which
            // says so once, however many cycles it took.
            throw new OutputError(
              `The ${this.receiver} did not accept a batch within the retry budget of ${formatDuration(this.retry.maxElapsedMs)} (last answer: ${answer.reason}). The files in flight will be delivered again on the next cycle.`,
              false,
            );
          }
          this.outage.retrying({
            reason: answer.reason,
            delayMs: Math.round(delay),
            retryBudget: formatDuration(this.retry.maxElapsedMs),
          });
          this.counters.retries++;
          await sleep(delay, undefined, { signal });
        }
      }
    }
  }

  /**
   * Before a refused batch is split or set aside: a destination that refuses even an empty batch refuses
   * the request, not some events, and splitting would put every event in the dead-letter file, so
   * that stops here. Says why a batch is split.
   */
  private async checkRefusal(part: EncodedBatch, refusal: Refusal, signal: AbortSignal): Promise<void> {
    if (refusal.kind === "too-large") {
      if (this.tooLargeLogged || part.events === 1) return;
      this.tooLargeLogged = true;
      this.logger.warn(
        { endpoint: this.destination.endpoint, bytes: part.body.length, answer: describe(refusal) },
        `A batch was refused as too large (HTTP 413), by the ${this.words.receiver} or a proxy before it; batches are split until they pass: set ${this.words.maxBatchBytesKey} below this size to spare the extra requests`,
      );
      return;
    }
    const empty = await this.send(part.slice(0, 0), signal);
    if (empty !== undefined) {
      throw new OutputError(
        `The ${this.receiver} at ${this.destination.endpoint} refuses every batch, even an empty one (${describe(empty)}). ${this.words.checkUrl} and any proxy in between.`,
        true,
      );
    }
    if (part.events === 1) return;
    this.logger.warn(
      { endpoint: this.destination.endpoint, events: part.events, answer: describe(refusal) },
      `${this.words.vendor} refused a batch; splitting it to find the events it refuses, which go to the dead-letter file`,
    );
  }

  /** An event the destination refuses on its own is kept, with the answer, never dropped. */
  private async setAside(batch: SealedBatch, index: number, json: string, refusal: Refusal): Promise<void> {
    const { source, unit, eventType } = batch.origins[index];
    const line = batch.lines[index];
    const answer = describe(refusal);
    this.counters.deadLetters++;
    this.logger.warn(
      { source, unit, eventType, line, answer, deadLetters: this.deadLetters.path },
      `${this.words.vendor} refused an event sent on its own; it was written to the dead-letter file`,
    );
    await this.deadLetters.write({
      reason:
        refusal.kind === "too-large"
          ? `too large for the ${this.receiver} or a proxy before it, even on its own (${answer})`
          : `refused by the ${this.receiver} (${answer})`,
      source,
      unit,
      eventType,
      line,
      payload: json,
    });
  }
}

/** "HTTP 400: <the destination's message>" */
function describe(refusal: Refusal): string {
  const status = refusal.kind === "too-large" ? 413 : refusal.status;
  return `HTTP ${status}${refusal.detail ? `: ${refusal.detail}` : ""}`;
}
