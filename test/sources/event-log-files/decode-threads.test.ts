import { describe, expect, it } from "vitest";
import type { DecodedRows } from "../../../src/sources/event-log-files/decode.js";
import type * as Threads from "../../../src/sources/event-log-files/decode-threads.js";

/**
 * The pool of decoding threads as the collector uses it. Built code: a thread runs
 * dist/.../decode-worker.js, which the TypeScript sources do not provide.
 */
const { DecodeThreads } = (await import(
  new URL("../../../dist/sources/event-log-files/decode-threads.js", import.meta.url).href
)) as typeof Threads;

const HEADER = '"EVENT_TYPE","REQUEST_ID"\n';
const row = (i: number) => `"URI","r${i}"\n`;

/** A file's bytes that stop after the first chunk until `more` is called, then give the rest. */
function pausedBody(rows: number) {
  let resume: () => void = () => {};
  const paused = new Promise<void>((resolve) => {
    resume = resolve;
  });
  const first = Buffer.from(HEADER + Array.from({ length: rows }, (_, i) => row(i)).join(""));
  async function* body(): AsyncGenerator<Uint8Array> {
    yield first;
    await paused;
    yield Buffer.from(row(rows));
  }
  return { body: body(), more: () => resume() };
}

async function all(rows: AsyncIterable<DecodedRows>): Promise<string[]> {
  const json: string[] = [];
  for await (const batch of rows) json.push(...batch.json);
  return json;
}

describe("DecodeThreads", () => {
  it("decodes a file on a thread, with each row's fingerprint", async () => {
    const threads = new DecodeThreads(1);
    try {
      const { body, more } = pausedBody(2);
      more();
      const batches: DecodedRows[] = [];
      for await (const batch of threads.decode(body, true)) batches.push(batch);
      expect(batches.flatMap((b) => b.json)).toEqual(
        [0, 1, 2].map((i) => `{"EVENT_TYPE":"URI","REQUEST_ID":"r${i}"}`),
      );
      expect(batches.flatMap((b) => [...b.lines])).toEqual([2, 3, 4]);
      expect(batches.every((b) => b.fingerprints?.length === b.json.length)).toBe(true);
    } finally {
      await threads.close();
    }
  });

  it("fails a file whose thread stops half-way, rather than waiting for it, and gives the next file a new thread", async () => {
    const threads = new DecodeThreads(1);
    try {
      const { body, more } = pausedBody(2);
      const decoding = all(threads.decode(body, false));
      // The thread has the first chunk (the file is not done) when it stops.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await threads.close();
      more();
      await expect(decoding).rejects.toThrow(/the thread decoding Event Log Files stopped/);

      const next = pausedBody(1);
      next.more();
      expect(await all(threads.decode(next.body, false))).toHaveLength(2);
    } finally {
      await threads.close();
    }
  });
});
