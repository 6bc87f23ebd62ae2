import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../src/outputs/backoff.js";

const policy = { initialDelayMs: 100, maxDelayMs: 1_000, maxElapsedMs: 60_000 };

describe("backoffDelay", () => {
  it("draws uniformly below a ceiling that doubles up to the maximum", () => {
    expect([0, 1, 2, 3, 4, 10].map((attempt) => backoffDelay(policy, attempt, 0, () => 0.999999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelay(policy, 5, 0, () => 0)).toBe(0);
  });

  it("waits at least what the server asked for", () => {
    expect(backoffDelay(policy, 0, 5_000, () => 0.5)).toBe(5_000);
  });
});
