import { setTimeout as sleep } from "node:timers/promises";
import { formatDuration } from "../../core/duration.js";
import { backoffDelay } from "../../http/backoff.js";
import { OutageLog } from "../../http/outage.js";
import type { Logger } from "../../observability/logger.js";
import type { DeadLetterSink } from "../../core/dead-letters.js";
import type { EventOrigin } from "../../core/event.js";
import { OutputError } from "../../core/output.js";
import type { RetryPolicy } from "./config.js";
import type { EncodedBatch } from "./encoder.js";
import type { IntakeAnswer, IntakeService } from "./service.js";

export interface SekoiaCounters {
  /** Events the intake acknowledged. */
  eventsSent: number;
  /** Requests the intake acknowledged (each part of a split batch counts). */
  batchesSent: number;
  /** Requests sent again after a 429, a 5xx, a timeout, a network error or a 2xx that acknowledged nothing. */
  retries: number;
  /** Events kept in the dead-letter file instead: over the intake's size limit, or refused by it. */
  deadLetters: number;
  /**
   * Events of requests that timed out: the intake may have stored them before the answer was due,
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

export const KEY_REJECTED =
  "Sekoia.io rejected the intake key: check outputs.sekoia.intake_key; it is the key of an intake created from the Salesforce format.";

/** The log lines of an intake outage, which spans every batch retrying meanwhile. */
const INTAKE_OUTAGE = {
  began: "The Sekoia.io intake is unavailable; retrying with backoff",
  retrying: "Retrying a batch; the Sekoia.io intake is still unavailable",
  ended: "The Sekoia.io intake is accepting events again",
};

/** The answers after which a batch is split rather than sent again as it is. */
type Refusal = Extract<IntakeAnswer, { kind: "refused" | "too-large" }>;

/**
 * Gets one batch accepted: retries while the intake is unavailable, within the retry budget; splits
 * a batch that is too large (413) or refused (400) until every event is either acknowledged or, alone
 * and still refused, in the dead-letter file; turns every other outcome into an OutputError. Outages
 * are logged when they start and when they end, each retry at debug level only, however many batches
 * are retrying at once or cycles fail meanwhile.
 */
export class BatchDelivery {
  private readonly outage: OutageLog;
  private tooLargeLogged = false;

  constructor(
    private readonly service: IntakeService,
    private readonly retry: RetryPolicy,
    private readonly logger: Logger,
    private readonly counters: SekoiaCounters,
    private readonly deadLetters: DeadLetterSink,
  ) {
    this.outage = new OutageLog(logger, INTAKE_OUTAGE, { endpoint: service.endpoint });
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

  /** One body until the intake acknowledges it (undefined) or refuses what it holds. */
  private async send(part: EncodedBatch, signal: AbortSignal): Promise<Refusal | undefined> {
    const payload = await this.service.prepare(part.body);
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      const answer = await this.service.send(payload, part.events, signal);
      switch (answer.kind) {
        case "accepted":
          this.counters.batchesSent++;
          this.counters.eventsSent += part.events;
          this.outage.recovered();
          return undefined;
        case "refused":
        case "too-large":
          return answer;
        case "key-rejected":
          throw new OutputError(KEY_REJECTED, true);
        case "untrusted":
          throw new OutputError(answer.reason, true);
        case "misdirected":
          throw new OutputError(
            `${this.service.endpoint} answered HTTP ${answer.status}${answer.detail ? ` (${answer.detail})` : ""}, which no batch can change. Check outputs.sekoia.url (the intake's base URL, without /batch) and any proxy in between.`,
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
          // An intake too slow to answer in time is overloaded, and may still be storing the batch:
          // sending it again at once (full jitter can draw zero) would only add load and duplicates.
          // It gets as long again as it was given, up to the longest backoff.
          const floor = Math.min(this.service.requestTimeoutMs, this.retry.maxDelayMs);
          const delay = timedOut ? Math.max(jittered, floor) : jittered;
          if (Date.now() - started + delay >= this.retry.maxElapsedMs) {
            // The caller reports this failure. The outage goes on until a batch is accepted, which
            // says so once, however many cycles it took.
            throw new OutputError(
              `The Sekoia.io intake did not accept a batch within the retry budget of ${formatDuration(this.retry.maxElapsedMs)} (last answer: ${answer.reason}). The files in flight will be delivered again on the next cycle.`,
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
   * Before a refused batch is split or set aside: an intake that refuses even an empty batch refuses
   * the request, not some events, and splitting would put every event in the dead-letter file, so
   * that stops here. Says why a batch is split.
   */
  private async checkRefusal(part: EncodedBatch, refusal: Refusal, signal: AbortSignal): Promise<void> {
    if (refusal.kind === "too-large") {
      if (this.tooLargeLogged || part.events === 1) return;
      this.tooLargeLogged = true;
      this.logger.warn(
        { endpoint: this.service.endpoint, bytes: part.body.length, answer: describe(refusal) },
        "A batch was refused as too large (HTTP 413), by the intake or a proxy before it; batches are split until they pass: set outputs.sekoia.max_batch_bytes below this size to spare the extra requests",
      );
      return;
    }
    const empty = await this.send(part.slice(0, 0), signal);
    if (empty !== undefined) {
      throw new OutputError(
        `The Sekoia.io intake at ${this.service.endpoint} refuses every batch, even an empty one (${describe(empty)}). Check outputs.sekoia.url (the intake's base URL, without /batch) and any proxy in between.`,
        true,
      );
    }
    if (part.events === 1) return;
    this.logger.warn(
      { endpoint: this.service.endpoint, events: part.events, answer: describe(refusal) },
      "Sekoia.io refused a batch; splitting it to find the events it refuses, which go to the dead-letter file",
    );
  }

  /** An event the intake refuses on its own is kept, with the intake's answer, never dropped. */
  private async setAside(batch: SealedBatch, index: number, json: string, refusal: Refusal): Promise<void> {
    const { source, unit, eventType } = batch.origins[index];
    const line = batch.lines[index];
    const answer = describe(refusal);
    this.counters.deadLetters++;
    this.logger.warn(
      { source, unit, eventType, line, answer, deadLetters: this.deadLetters.path },
      "Sekoia.io refused an event sent on its own; it was written to the dead-letter file",
    );
    await this.deadLetters.write({
      reason:
        refusal.kind === "too-large"
          ? `too large for the Sekoia.io intake or a proxy before it, even on its own (${answer})`
          : `refused by the Sekoia.io intake (${answer})`,
      source,
      unit,
      eventType,
      line,
      payload: json,
    });
  }
}

/** "HTTP 400: <the intake's message>" */
function describe(refusal: Refusal): string {
  const status = refusal.kind === "too-large" ? 413 : refusal.status;
  return `HTTP ${status}${refusal.detail ? `: ${refusal.detail}` : ""}`;
}
