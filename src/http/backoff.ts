/** How long a caller waits between attempts; each caller keeps its own numbers. */
export interface Backoff {
  /** The ceiling of the first wait; each retry doubles it, up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** The longest wait a server's Retry-After is granted. */
  maxRetryAfterMs: number;
}

/**
 * The wait before retry number `retry` (0 for the first retry), shared by every HTTP client.
 *
 * Without word from the server it is uniform between zero and the exponential ceiling ("full
 * jitter"), so that callers hitting the same outage do not retry in step.
 *
 * A server that says when to come back (Retry-After) is believed, within a cap: the wait is at least
 * what it asks, and never more than `maxRetryAfterMs`, so that one answer cannot park a caller for
 * hours. The cap is the caller's to set: the Salesforce client waits at most its longest backoff and
 * tries again; an output grants up to its whole retry budget, which such a wait then spends, so it
 * gives up rather than come back before the server said.
 */
export function backoffDelay(
  backoff: Backoff,
  retry: number,
  retryAfterMs?: number,
  random = Math.random,
): number {
  const ceiling = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** Math.min(retry, 30));
  const jittered = Math.floor(random() * ceiling);
  if (retryAfterMs === undefined) return jittered;
  return Math.max(jittered, Math.min(retryAfterMs, backoff.maxRetryAfterMs));
}
