import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DeadLetters } from "../../src/outputs/dead-letter.js";
import { FileOutput } from "../../src/outputs/file/sink.js";
import type { SourceEvent } from "../../src/core/event.js";
import { type Output, OutputError } from "../../src/core/output.js";
import { SekoiaOutput } from "../../src/outputs/sekoia/sink.js";
import { loginEvent } from "../support/events.js";
import { FakeIntake } from "../support/intake.js";
import { capturedLogger } from "../support/logger.js";

/**
 * The contract every output keeps (the Output interface, src/outputs/output.ts), on which the
 * checkpoint rests: flush means acknowledged, write() pushes back while the destination stalls,
 * a failure is reported once and the output starts afresh, close() lets the destination go.
 */

/** An output opened against a local destination the test controls. */
interface OutputUnderTest {
  output: Output;
  /** The events the destination holds (acknowledged), as their JSON, in any order. */
  acknowledged(): string[];
  /** Holds every delivery from now on, until resume(). */
  stall(): void;
  /** Resolves once the stalled destination is holding a delivery. */
  holding(): Promise<void>;
  resume(): void;
  /** Fails every delivery from now on, past the output's retry budget, until heal(). */
  fail(): void;
  heal(): void;
  /**
   * The most events write() takes, while the destination stalls, before it returns a promise: what
   * the output may hold, from its options.
   */
  holdsAtMost: number;
  /** Whether the destination has been let go (no file descriptor, no request left open). */
  released(): Promise<boolean>;
  /** Stops the destination itself. */
  dispose(): Promise<void>;
}

interface OutputCase {
  name: string;
  open(dir: string): Promise<OutputUnderTest>;
}

const INTAKE_KEY = "contract-intake-key-7d2e91";
/** loginEvent's JSON length: every event of these tests has it. */
const EVENT_CHARS = loginEvent(2).json.length;

/** The file output with chunks of a few events, so backpressure shows within a few writes. */
const FILE_CHUNK_CHARS = 1_000;

/**
 * The Sekoia.io output with small batches and a retry budget spent in milliseconds. One batch in
 * flight: with more, a request abandoned when the failure is reported may still land at the intake
 * (its files are sent again anyway: at-least-once), and the failure case counts exactly what lands.
 */
const SEKOIA = { maxBatchEvents: 4, maxInFlight: 1 };

/** A new output adds one entry here: how to open it, read, stall and fail its destination. */
const OUTPUTS: OutputCase[] = [
  {
    name: "file (FileOutput)",
    async open(dir) {
      const path = join(dir, "out", "events.ndjson");
      const output = await FileOutput.open({ path, chunkChars: FILE_CHUNK_CHARS });
      // The disk is stood in for at FileHandle.write, which every handle shares.
      const prototype = await fileHandlePrototype(dir);
      const write = prototype.write as (this: FileHandle, ...args: unknown[]) => Promise<unknown>;
      let failing = false;
      let gate: { opened: Promise<void>; open: () => void } | undefined;
      let held = 0;
      vi.spyOn(prototype, "write").mockImplementation(async function (this: FileHandle, ...args: unknown[]) {
        if (failing)
          throw Object.assign(new Error("EIO: i/o error, write"), { code: "EIO", syscall: "write" });
        if (gate) {
          held++;
          await gate.opened;
        }
        return write.apply(this, args);
      } as FileHandle["write"]);
      return {
        output,
        acknowledged: () =>
          readFileSync(path, "utf8")
            .split("\n")
            .filter((l) => l !== ""),
        stall: () => {
          let open = () => {};
          const opened = new Promise<void>((resolve) => {
            open = resolve;
          });
          gate = { opened, open };
        },
        holding: () =>
          vi.waitFor(() => {
            if (held === 0) throw new Error("no write is held by the stalled disk");
          }),
        resume: () => {
          gate?.open();
          gate = undefined;
        },
        fail: () => {
          failing = true;
        },
        heal: () => {
          failing = false;
        },
        // A write that completes a chunk returns a promise, stalled or not: the chunk being written
        // is what the output holds, and the next one waits for it.
        holdsAtMost: Math.ceil(FILE_CHUNK_CHARS / (EVENT_CHARS + 1)),
        released: async () => !openPaths().includes(path),
        dispose: async () => {
          vi.restoreAllMocks();
        },
      };
    },
  },
  {
    name: "Sekoia.io (SekoiaOutput)",
    async open(dir) {
      const intake = await FakeIntake.start({ intakeKey: INTAKE_KEY });
      const deadLetters = new DeadLetters(join(dir, "dead-letters.ndjson"));
      const output = new SekoiaOutput({
        url: intake.url,
        intakeKey: INTAKE_KEY,
        deadLetters,
        logger: capturedLogger("info").logger,
        retry: { initialDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 50 },
        // Only a flush (or a full batch) sends: a flush that does not deliver shows.
        lingerMs: 60_000,
        ...SEKOIA,
      });
      return {
        output,
        acknowledged: () => [...intake.events],
        stall: () => {
          intake.fallback = "stall";
        },
        holding: () => intake.until(() => intake.stalledCount > 0),
        resume: () => {
          intake.fallback = 200;
          intake.release();
        },
        fail: () => {
          intake.fallback = 503;
        },
        heal: () => {
          intake.fallback = 200;
        },
        // maxInFlight batches sent, one more sealed and waiting for a slot: the next write waits.
        holdsAtMost: (SEKOIA.maxInFlight + 1) * SEKOIA.maxBatchEvents,
        released: () => within(intake.until(() => intake.openRequests === 0)),
        dispose: async () => {
          await intake.close();
          await deadLetters.close();
        },
      };
    },
  },
];

/** The prototype every FileHandle shares. */
async function fileHandlePrototype(dir: string): Promise<FileHandle> {
  const probe = await open(join(dir, "probe"), "w");
  await probe.close();
  return Object.getPrototypeOf(probe) as FileHandle;
}

/** The paths this process holds open (Linux). */
function openPaths(): string[] {
  return readdirSync("/proc/self/fd").flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

/** Whether `settled` settles within a few seconds: a bound on a wait, not a measure of speed. */
async function within(settled: Promise<unknown>, ms = 5_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([settled.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

const events = (from: number, n: number) => Array.from({ length: n }, (_, i) => loginEvent(from + i));
const jsons = (list: SourceEvent[]) => list.map((e) => e.json).sort();

/** Writes as a well-behaved caller does: it waits whenever write() says so. */
async function writeAll(output: Output, list: SourceEvent[]): Promise<void> {
  for (const event of list) await output.write(event);
}

/**
 * Writes until write() returns a promise (the output is full), or gives up after `limit` writes
 * (an output without backpressure). A rejection of the promise is left to the caller.
 */
function writeUntilTold(output: Output, from: number, limit: number) {
  let accepted = 0;
  let waiting: Promise<void> | undefined;
  while (waiting === undefined && accepted < limit) {
    const result = output.write(loginEvent(from + accepted));
    accepted++;
    if (result instanceof Promise) waiting = result;
  }
  return { accepted, waiting };
}

describe.each(OUTPUTS)("the output contract: $name", ({ open: openOutput }) => {
  let dir: string;
  let under: OutputUnderTest;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "sfevents-contract-"));
    under = await openOutput(dir);
  });
  afterEach(async () => {
    under.resume();
    // A second close (after the close case) releases nothing more and must not fail.
    await under.output.close();
    await under.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("has every event written before a flush at the destination once the flush resolves", async () => {
    // Several chunks or batches and a partial one that only the flush sends.
    const written = events(2, 25);
    await writeAll(under.output, written);
    await under.output.flush();
    expect(under.acknowledged().sort()).toEqual(jsons(written));

    const more = events(40, 3);
    await writeAll(under.output, more);
    await under.output.flush();
    expect(under.acknowledged().sort()).toEqual(jsons([...written, ...more]));
  });

  it("makes the writer wait while the destination stalls, holding a bounded number of events", async () => {
    under.stall();
    const { accepted, waiting } = writeUntilTold(under.output, 2, 100 * under.holdsAtMost);
    expect(waiting, `write() returned no promise in ${accepted} writes`).toBeInstanceOf(Promise);
    expect(accepted).toBeLessThanOrEqual(under.holdsAtMost);

    // The writer stays held as long as the destination does.
    let released = false;
    waiting!.then(() => {
      released = true;
    });
    await under.holding();
    await new Promise((resolve) => setImmediate(resolve));
    expect(released).toBe(false);

    under.resume();
    await waiting;
    await under.output.flush();
    expect(under.acknowledged().sort()).toEqual(jsons(events(2, accepted)));
  });

  it("reports a failure past the retry budget once, then accepts writes and delivers only what came after", async () => {
    under.fail();
    // Two writers at once, as the collector's workers are: one writes on while the other waits,
    // so the output holds events of its own when the failure comes.
    const lost = events(2, 20);
    const writer = async (list: SourceEvent[]) => {
      for (const event of list) {
        // A write may already learn of the failure: that is the same failure, not another one.
        await Promise.resolve(under.output.write(event)).catch((err: unknown) => {
          expect(err).toBeInstanceOf(OutputError);
        });
      }
    };
    await Promise.all([writer(lost.slice(0, 10)), writer(lost.slice(10))]);
    const failure = await under.output.flush().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(OutputError);
    // Reported once: the output dropped what it held, and the next flush has nothing to fail.
    await expect(under.output.flush()).resolves.toBeUndefined();

    under.heal();
    const next = events(30, 6);
    await writeAll(under.output, next);
    await under.output.flush();
    expect(under.acknowledged().sort()).toEqual(jsons(next));
  });

  it("closes with a delivery under way, once it has settled, and lets the destination go", async () => {
    await writeAll(under.output, events(2, 3));
    await under.output.flush();
    under.stall();
    const { waiting } = writeUntilTold(under.output, 10, 100 * under.holdsAtMost);
    expect(waiting).toBeInstanceOf(Promise);
    waiting!.catch(() => {});
    await under.holding();

    const closed = under.output.close();
    under.resume();
    expect(await within(closed), "close() did not resolve").toBe(true);
    expect(await under.released(), "the destination is still held").toBe(true);
  });
});
