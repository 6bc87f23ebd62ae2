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

/**
 * The wait before retry number `attempt` (0 for the first retry): uniform between zero and the
 * exponential ceiling ("full jitter"), so that collectors hitting the same outage do not retry in
 * step. A server's own Retry-After is honoured as a floor.
 */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs = 0,
  random = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.max(Math.floor(random() * ceiling), retryAfterMs);
}
