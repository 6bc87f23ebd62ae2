import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../../observability/logger.js";
import { backoffDelay, type RetryPolicy } from "../backoff.js";
import { OutputError } from "../output.js";
import type { IntakeService } from "./service.js";

export interface SekoiaCounters {
  /** Events the intake acknowledged. */
  eventsSent: number;
  batchesSent: number;
  /** Requests sent again after a 429, a 5xx or a network error. */
  retries: number;
  /** Events over the intake's size limit, kept in the dead-letter file instead. */
  deadLetters: number;
}

export const KEY_REJECTED =
  "Sekoia.io rejected the intake key: check outputs.sekoia.intake_key; it is the key of an intake created from the Salesforce format.";

/**
 * Gets one batch accepted: retries while the intake is unavailable, within the retry budget, and
 * turns every other outcome into an OutputError. Outages are logged when they start and when they
 * end, never at each retry, however many batches are retrying at once or cycles fail meanwhile.
 */
export class BatchDelivery {
  private outage: { since: number; retries: number } | undefined;

  constructor(
    private readonly service: IntakeService,
    private readonly retry: RetryPolicy,
    private readonly logger: Logger,
    private readonly counters: SekoiaCounters,
  ) {}

  async deliver(body: Buffer, events: number, signal: AbortSignal): Promise<void> {
    const payload = await this.service.prepare(body);
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      const answer = await this.service.send(payload, signal);
      switch (answer.kind) {
        case "accepted":
          this.counters.batchesSent++;
          this.counters.eventsSent += events;
          this.endOutage();
          return;
        case "key-rejected":
          throw new OutputError(KEY_REJECTED, true);
        case "untrusted":
          throw new OutputError(answer.reason, true);
        case "refused":
          throw new OutputError(
            `Sekoia.io refused a batch of ${events} events (HTTP ${answer.status}${answer.detail ? `: ${answer.detail}` : ""}). Sending it again cannot help; please report this to the sfevents maintainers with this message.`,
            true,
          );
        case "unavailable": {
          const delay = backoffDelay(this.retry, attempt, answer.retryAfterMs);
          if (Date.now() - started + delay > this.retry.maxElapsedMs) {
            // The caller reports this failure. The outage goes on until a batch is accepted, which
            // says so once, however many cycles it took.
            throw new OutputError(
              `The Sekoia.io intake did not accept a batch within the retry budget of ${formatDuration(this.retry.maxElapsedMs)} (last answer: ${answer.reason}). The files in flight will be delivered again on the next cycle.`,
              false,
            );
          }
          this.startOutage(answer.reason);
          this.counters.retries++;
          await sleep(delay, undefined, { signal });
        }
      }
    }
  }

  private startOutage(reason: string): void {
    if (this.outage) {
      this.outage.retries++;
      return;
    }
    this.outage = { since: Date.now(), retries: 1 };
    this.logger.warn(
      { endpoint: this.service.endpoint, reason, retryBudget: formatDuration(this.retry.maxElapsedMs) },
      "The Sekoia.io intake is unavailable; retrying with backoff",
    );
  }

  private endOutage(): void {
    const outage = this.outage;
    if (!outage) return;
    this.outage = undefined;
    this.logger.info(
      {
        endpoint: this.service.endpoint,
        retries: outage.retries,
        seconds: Math.round((Date.now() - outage.since) / 1000),
      },
      "The Sekoia.io intake is accepting events again",
    );
  }
}

function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1_000) return `${Math.round(ms / 1_000)} s`;
  return `${ms} ms`;
}
