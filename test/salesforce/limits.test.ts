import { describe, expect, it } from "vitest";
import { ApiUsageGovernor, parseLimitInfo } from "../../src/salesforce/limits.js";
import { capturedLogger } from "../support/logger.js";

describe("parseLimitInfo", () => {
  it("reads the org's usage and the app's, in any order and spacing", () => {
    expect(parseLimitInfo("api-usage=135/5000")).toEqual({ api: { used: 135, max: 5000 } });
    expect(
      parseLimitInfo("api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)"),
    ).toEqual({
      api: { used: 25, max: 5000 },
      perApp: { used: 17, max: 250, app: "sample-connected-app" },
    });
    expect(parseLimitInfo("per-app-api-usage=3/100")).toEqual({ perApp: { used: 3, max: 100 } });
    expect(parseLimitInfo("API-Usage=7/10")).toEqual({ api: { used: 7, max: 10 } });
  });

  it("leaves out what it cannot read", () => {
    expect(parseLimitInfo(undefined)).toEqual({});
    expect(parseLimitInfo("api-usage=lots")).toEqual({});
    expect(parseLimitInfo("api-usage=1/0")).toEqual({});
  });
});

describe("ApiUsageGovernor", () => {
  function governor() {
    const log = capturedLogger();
    return { log, g: new ApiUsageGovernor({ slowDownAt: 0.8, maxDelayMs: 10_000, logger: log.logger }) };
  }

  it("does not pause below the threshold, then pauses more as usage nears the allowance", () => {
    const { g } = governor();
    expect(g.delayMs()).toBe(0);
    g.observe("api-usage=799/1000");
    expect(g.delayMs()).toBe(0);
    g.observe("api-usage=900/1000");
    expect(g.delayMs()).toBeCloseTo(5_000);
    g.observe("api-usage=1000/1000");
    expect(g.delayMs()).toBe(10_000);
    g.observe("api-usage=1200/1000");
    expect(g.delayMs()).toBe(10_000);
  });

  it("follows the more used of the org's and the app's allowance", () => {
    const { g } = governor();
    g.observe("api-usage=10/1000; per-app-api-usage=240/250");
    expect(g.delayMs()).toBeGreaterThan(0);
    expect(g.usage).toEqual({ used: 10, max: 1000 });
  });

  it("keeps the last known usage when a response carries none", () => {
    const { g } = governor();
    g.observe("api-usage=900/1000");
    g.observe(undefined);
    expect(g.usage).toEqual({ used: 900, max: 1000 });
  });

  it("rejects a threshold that is not a share", () => {
    expect(() => new ApiUsageGovernor({ slowDownAt: 80, logger: capturedLogger().logger })).toThrow(
      /between 0 and 1/,
    );
  });
});
