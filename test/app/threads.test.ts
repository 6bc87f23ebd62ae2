import { describe, expect, it } from "vitest";
import { defaultThreads } from "../../src/app/threads.js";

describe("the default number of decoding threads", () => {
  it("leaves the main thread a core of its own, and a one-core host without threads", () => {
    expect(defaultThreads(1)).toBe(0);
    expect(defaultThreads(2)).toBe(1);
    expect(defaultThreads(4)).toBe(3);
  });

  it("stops at four, past which the main thread is the limit", () => {
    expect(defaultThreads(5)).toBe(4);
    expect(defaultThreads(64)).toBe(4);
  });
});
