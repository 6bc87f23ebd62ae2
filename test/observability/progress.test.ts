import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { terminalProgress } from "../../src/observability/progress.js";

const FILE = "URI 2026-11-20T10:00Z #2 (0AT3k00000000AAAAA)";

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

  it("rewrites one line per unit of work while rows flow, at most four times a second, and ends it", () => {
    const { stream, written } = terminal(true);
    const progress = terminalProgress(stream)!;
    progress.startUnit(FILE);
    progress.rows(FILE, 5_000);
    vi.advanceTimersByTime(300);
    progress.rows(FILE, 125_000);
    progress.doneUnit(FILE, 130_500);
    progress.startUnit(FILE);
    progress.doneUnit(FILE, 1);

    expect(written).toEqual([
      "\r\x1b[2K… URI 2026-11-20T10:00Z #2 (0AT3k00000000AAAAA)",
      "\r\x1b[2K… URI 2026-11-20T10:00Z #2 (0AT3k00000000AAAAA)  125,000 rows",
      "\r\x1b[2K✓ URI 2026-11-20T10:00Z #2 (0AT3k00000000AAAAA)  130,500 rows\n",
      // The next unit's start came too soon after to be drawn; its end always is.
      "\r\x1b[2K✓ URI 2026-11-20T10:00Z #2 (0AT3k00000000AAAAA)  1 row\n",
    ]);
  });

  it("shows a unit's dead letters when it has some, and ends a failed unit's line so the error starts afresh", () => {
    const { stream, written } = terminal(true);
    const progress = terminalProgress(stream)!;
    progress.rows("URI.csv", 2, 0);
    progress.doneUnit("URI.csv", 2, 1);
    progress.doneUnit("Login.csv", 1_500, 2_000);
    progress.failUnit("broken.gz", 0);

    expect(written).toEqual([
      "\r\x1b[2K… URI.csv  2 rows",
      "\r\x1b[2K✓ URI.csv  2 rows, 1 dead letter\n",
      "\r\x1b[2K✓ Login.csv  1,500 rows, 2,000 dead letters\n",
      "\r\x1b[2K✗ broken.gz  0 rows\n",
    ]);
  });
});
