import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/observability/logger.js";
import { OrgClock } from "../../src/salesforce/org-clock.js";

function memoryLogger() {
  const lines: { level: string; msg: string }[] = [];
  const destination = {
    write: (line: string) => lines.push(JSON.parse(line)),
  } as unknown as NodeJS.WritableStream;
  return { logger: createLogger({ level: "info", destination }), lines };
}

describe("OrgClock", () => {
  const host = Date.parse("2026-12-01T12:00:00Z");

  it("is this host's clock until an answer says otherwise", () => {
    const { logger } = memoryLogger();
    expect(new OrgClock(logger, () => host).now().toISOString()).toBe("2026-12-01T12:00:00.000Z");
  });

  it("follows the org's Date header, and says once when the clocks differ by more than a minute", () => {
    const { logger, lines } = memoryLogger();
    let now = host;
    const clock = new OrgClock(logger, () => now);
    clock.observe("Fri, 27 Nov 2026 12:00:00 GMT");
    expect(clock.now().toISOString()).toBe("2026-11-27T12:00:00.000Z");
    now += 60_000;
    expect(clock.now().toISOString()).toBe("2026-11-27T12:01:00.000Z");
    clock.observe("Fri, 27 Nov 2026 12:01:00 GMT");
    expect(lines.filter((l) => l.level === "warn")).toHaveLength(1);
    expect(lines[0].msg).toMatch(/^The org's clock is 4 days behind this host's/);
  });

  it("keeps quiet about a difference of seconds, and ignores a Date it cannot read", () => {
    const { logger, lines } = memoryLogger();
    const clock = new OrgClock(logger, () => host);
    clock.observe("Tue, 01 Dec 2026 12:00:20 GMT");
    clock.observe("not a date");
    expect(clock.now().toISOString()).toBe("2026-12-01T12:00:20.000Z");
    expect(lines).toEqual([]);
  });
});
