import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../src/http/backoff.js";

const backoff = { initialDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 10_000 };

describe("backoffDelay", () => {
  it("draws uniformly below a ceiling that doubles up to the maximum", () => {
    expect(
      [0, 1, 2, 3, 4, 10].map((retry) => backoffDelay(backoff, retry, undefined, () => 0.999999)),
    ).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(backoff, 5, undefined, () => 0)).toBe(0);
  });

  it("waits at least what the server asked for", () => {
    expect(backoffDelay(backoff, 0, 5_000, () => 0.5)).toBe(5_000);
    // An ask shorter than the draw does not shorten the wait.
    expect(backoffDelay(backoff, 4, 10, () => 0.5)).toBe(500);
  });

  it("believes the server only up to the caller's cap", () => {
    expect(backoffDelay(backoff, 0, 3_600_000, () => 0.5)).toBe(10_000);
  });
});
