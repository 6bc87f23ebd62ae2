import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { OutageLog } from "../../src/http/outage.js";
import { createLogger } from "../../src/observability/logger.js";

const MESSAGES = { began: "began", retrying: "still failing", ended: "ended" };

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).trim().split("\n")) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ level, destination }) };
}

describe("OutageLog", () => {
  it("logs an outage as a warning when retries begin and an info line when it ends", () => {
    const { lines, logger } = capture("debug");
    const outage = new OutageLog(logger, MESSAGES, { endpoint: "http://intake" });
    outage.recovered(); // no outage yet: nothing to say
    outage.retrying({ reason: "HTTP 503" });
    outage.retrying({ reason: "HTTP 502" });
    outage.retrying({ reason: "ECONNREFUSED" });
    outage.recovered();
    outage.recovered();
    expect(lines.map((l) => [l.level, l.msg, l.endpoint])).toEqual([
      ["warn", "began", "http://intake"],
      ["debug", "still failing", "http://intake"],
      ["debug", "still failing", "http://intake"],
      ["info", "ended", "http://intake"],
    ]);
    expect(lines[0].reason).toBe("HTTP 503");
    expect(lines[3].retries).toBe(3);
  });

  it("says nothing of the retries at info level, and warns again at the next outage", () => {
    const { lines, logger } = capture("info");
    const outage = new OutageLog(logger, MESSAGES, {});
    for (let i = 0; i < 50; i++) outage.retrying({});
    outage.recovered();
    outage.retrying({});
    expect(lines.map((l) => l.msg)).toEqual(["began", "ended", "began"]);
  });
});
