import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { terminalProgress } from "../../src/observability/progress.js";
import type { EventLogFile } from "../../src/sources/event-log-files/records.js";

const FILE: EventLogFile = {
  Id: "0AT3k00000000AAAAA",
  EventType: "URI",
  LogDate: "2026-11-20T10:00:00.000+0000",
  CreatedDate: "2026-11-20T13:02:11.000+0000",
  Interval: "Hourly",
  Sequence: 2,
  LogFileLength: 1234,
  LogFile: "/services/data/v64.0/sobjects/EventLogFile/0AT3k00000000AAAAA/LogFile",
};

/** A stand-in for process.stderr that records what a terminal would receive. */
function terminal(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY, write: (text: string) => written.push(text) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe("terminalProgress", () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date("2026-11-20T14:00:00Z") }));
  afterEach(() => vi.useRealTimers());

  it("stays silent when standard error is not a terminal (a service's log stays JSON)", () => {
    expect(terminalProgress(terminal(false).stream)).toBeUndefined();
  });

  it("rewrites one line per file while rows flow, at most four times a second, and ends it", () => {
    const { stream, written } = terminal(true);
    const progress = terminalProgress(stream)!;
    progress.startFile(FILE);
    progress.rows(FILE, 5_000);
    vi.advanceTimersByTime(300);
    progress.rows(FILE, 125_000);
    progress.doneFile(FILE, 130_500);

    expect(written).toEqual([
      "\r\x1b[2K… URI 2026-11-20T10:00Z #2 (0AT3k00000000AAAAA)",
      "\r\x1b[2K… URI 2026-11-20T10:00Z #2 (0AT3k00000000AAAAA)  125,000 rows",
      "\r\x1b[2K✓ URI 2026-11-20T10:00Z #2 (0AT3k00000000AAAAA)  130,500 rows\n",
    ]);
  });
});
