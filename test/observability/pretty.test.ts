import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/observability/logger.js";
import { prettyLine } from "../../src/observability/pretty.js";

function stream(isTTY: boolean): { written: string[]; stream: NodeJS.WritableStream } {
  const written: string[] = [];
  return {
    written,
    stream: { isTTY, write: (line: string) => written.push(line) > 0 } as unknown as NodeJS.WritableStream,
  };
}

describe("log lines for a person", () => {
  it("puts the time, the level and the message first, then the fields", () => {
    const line = JSON.stringify({
      level: "warn",
      time: "2026-11-20T14:03:12.345Z",
      name: "sfevents",
      fileId: "0AT1",
      rows: 3,
      msg: "cycle done",
    });
    expect(prettyLine(line)).toBe("14:03:12 WARN  cycle done  fileId=0AT1 rows=3\n");
  });

  it("is the default on a terminal, JSON elsewhere, and either when asked", () => {
    const tty = stream(true);
    createLogger({ destination: tty.stream }).info({ n: 1 }, "hello");
    expect(tty.written[0]).toMatch(/^\d\d:\d\d:\d\d INFO {2}hello {2}n=1\n$/);
    const pipe = stream(false);
    createLogger({ destination: pipe.stream }).info("hello");
    expect(JSON.parse(pipe.written[0]).msg).toBe("hello");
    const asked = stream(true);
    createLogger({ destination: asked.stream, format: "json" }).info("hello");
    expect(JSON.parse(asked.written[0]).msg).toBe("hello");
  });

  it("keeps secrets out of pretty lines too", async () => {
    const { secrets } = await import("../../src/observability/logger.js");
    secrets.add("pretty-secret-value-123");
    const tty = stream(true);
    createLogger({ destination: tty.stream }).info({ token: "pretty-secret-value-123" }, "token used");
    expect(tty.written[0]).not.toContain("pretty-secret-value-123");
  });
});
