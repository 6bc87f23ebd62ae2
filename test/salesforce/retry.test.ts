import { NetworkError } from "../../src/http/network-error.js";
import { describe, expect, it } from "vitest";
import {
  SalesforceApiError,
  SalesforceAuthError,
  SalesforceRequestLimitError,
} from "../../src/salesforce/errors.js";
import { RetrySchedule, type RetryOptions } from "../../src/salesforce/retry.js";

const options: RetryOptions = {
  attempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 250,
  requestLimitWaits: 1,
  requestLimitDelayMs: 1000,
};
const api = (status: number, code = `HTTP_${status}`, retryAfterMs?: number) =>
  new SalesforceApiError(status, code, "x", "GET /x", retryAfterMs);

describe("RetrySchedule", () => {
  it("retries transient failures within the budget, under a growing capped ceiling", () => {
    const schedule = new RetrySchedule(options);
    const delays = [api(503), api(502), api(420)].map((e) => schedule.delayAfter(e));
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(Math.min(250, 100 * 2 ** i));
    });
    expect(schedule.delayAfter(api(503))).toBeUndefined();
  });

  it("retries only the 500s Salesforce documents as passing", () => {
    expect(new RetrySchedule(options).delayAfter(api(500, "QUERY_TIMEOUT"))).toBeDefined();
    expect(new RetrySchedule(options).delayAfter(api(500, "UNKNOWN_EXCEPTION"))).toBeDefined();
    expect(new RetrySchedule(options).delayAfter(api(500, "INVALID_OPERATION"))).toBeUndefined();
  });

  it("never retries what another attempt cannot fix", () => {
    for (const err of [
      api(400, "INVALID_FIELD"),
      api(404, "NOT_FOUND"),
      new SalesforceAuthError("invalid_client", "invalid client credentials", "fix it"),
      new NetworkError("tls", "SELF_SIGNED_CERT_IN_CHAIN", false),
      new Error("a bug"),
    ]) {
      expect(new RetrySchedule(options).delayAfter(err)).toBeUndefined();
    }
    expect(
      new RetrySchedule(options).delayAfter(new NetworkError("reset", "ECONNRESET", true)),
    ).toBeDefined();
  });

  it("waits long on REQUEST_LIMIT_EXCEEDED, a bounded number of times", () => {
    const schedule = new RetrySchedule(options);
    const limit = new SalesforceRequestLimitError(403, "TotalRequests Limit exceeded.", "GET /x");
    const delay = schedule.delayAfter(limit) ?? -1;
    expect(delay).toBeGreaterThanOrEqual(500);
    expect(delay).toBeLessThanOrEqual(1000);
    expect(schedule.delayAfter(limit)).toBeUndefined();
  });

  it("honours Retry-After within its own cap", () => {
    expect(new RetrySchedule(options).delayAfter(api(429, "HTTP_429", 200))).toBeGreaterThanOrEqual(200);
    expect(new RetrySchedule(options).delayAfter(api(503, "HTTP_503", 60_000))).toBe(250);
  });
});
