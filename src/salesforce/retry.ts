import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../observability/logger.js";
import { backoffDelay } from "../http/backoff.js";
import { OutageLog } from "../http/outage.js";
import { NetworkError } from "../http/network-error.js";
import { SalesforceApiError, SalesforceRequestLimitError } from "./errors.js";

export interface RetryOptions {
  /** Attempts per call for transient failures (5xx, 420, 429, network), the first one included. */
  attempts: number;
  /** Backoff base: the n-th retry waits a random time up to min(maxDelayMs, baseDelayMs × 2^(n-1)). */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * Waits after a 403 REQUEST_LIMIT_EXCEEDED before the error is surfaced. A concurrency limit clears
   * in seconds, the daily allowance does not: a couple of long waits, then the caller ends the cycle.
   */
  requestLimitWaits: number;
  requestLimitDelayMs: number;
}

/** Defaults for a poller that runs every few minutes: a few minutes of patience per call at most. */
export const DEFAULT_RETRY: RetryOptions = {
  attempts: 6,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  requestLimitWaits: 2,
  requestLimitDelayMs: 60_000,
};

/** 500s that Salesforce documents as passing (a slow query, an internal hiccup). */
const TRANSIENT_500_CODES = new Set(["QUERY_TIMEOUT", "UNKNOWN_EXCEPTION", "SERVER_UNAVAILABLE", "HTTP_500"]);
const TRANSIENT_STATUSES = new Set([420, 429, 502, 503, 504]);

function isTransient(err: unknown): boolean {
  if (err instanceof NetworkError) return err.transient;
  if (err instanceof SalesforceApiError) {
    return (
      TRANSIENT_STATUSES.has(err.status) || (err.status === 500 && TRANSIENT_500_CODES.has(err.errorCode))
    );
  }
  return false;
}

/**
 * The retry budget of one call: decides, failure after failure, whether and how long to wait
 * (http/backoff.ts: full jitter, Retry-After believed within a cap).
 */
export class RetrySchedule {
  private failures = 0;
  private limitWaits = 0;

  constructor(private readonly options: RetryOptions) {}

  /** Milliseconds to wait before the next attempt, or undefined when `err` must be thrown. */
  delayAfter(err: unknown): number | undefined {
    const o = this.options;
    if (err instanceof SalesforceRequestLimitError) {
      if (++this.limitWaits > o.requestLimitWaits) return undefined;
      // Half fixed, half jittered: the wait must really be long, yet not synchronised.
      return o.requestLimitDelayMs / 2 + (Math.random() * o.requestLimitDelayMs) / 2;
    }
    if (!isTransient(err)) return undefined;
    if (++this.failures >= o.attempts) return undefined;
    // A Retry-After is granted the longest backoff wait at most: a call waits a minute, not hours.
    return backoffDelay(
      { initialDelayMs: o.baseDelayMs, maxDelayMs: o.maxDelayMs, maxRetryAfterMs: o.maxDelayMs },
      this.failures - 1,
      err instanceof SalesforceApiError ? err.retryAfterMs : undefined,
    );
  }

  /** How many attempts have failed so far (for log lines). */
  get failed(): number {
    return this.failures + this.limitWaits;
  }
}

/** The log lines of one call's outage. */
const CALL_OUTAGE = {
  began: "Salesforce call failed; retrying with backoff",
  retrying: "Salesforce call still failing; retrying",
  ended: "Salesforce call recovered",
};

/** The parts of an error worth a log line: no stack, no response body. */
function summary(err: unknown): Record<string, unknown> {
  if (err instanceof SalesforceApiError) return { status: err.status, errorCode: err.errorCode };
  if (err instanceof NetworkError) return { code: err.code };
  return { message: err instanceof Error ? err.message : String(err) };
}

/**
 * Runs `attempt` until it succeeds or the schedule gives up, logging the outage once. An aborted
 * `signal` ends the wait between attempts with the abort reason.
 */
export async function withRetries<T>(
  options: RetryOptions,
  logger: Logger,
  what: string,
  attempt: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const schedule = new RetrySchedule(options);
  const outage = new OutageLog(logger, CALL_OUTAGE, { request: what });
  for (;;) {
    try {
      const result = await attempt();
      outage.recovered();
      return result;
    } catch (err) {
      const delay = signal?.aborted ? undefined : schedule.delayAfter(err);
      if (delay === undefined) throw err;
      outage.retrying({ attempt: schedule.failed, delayMs: Math.round(delay), err: summary(err) });
      await sleep(delay, undefined, { signal });
    }
  }
}
