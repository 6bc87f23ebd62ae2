import { describe, expect, it } from "vitest";
import { Watermark } from "../../src/engine/watermark.js";

describe("Watermark", () => {
  it("moves only over a delivered prefix, whatever order files finish in", () => {
    const w = new Watermark(["a", "b", "c", "d", "e"], (x) => x === "a" || x === "d");
    expect(w.position).toBe("a");
    expect(w.complete(2)).toBeUndefined(); // c done, b still in flight
    expect(w.position).toBe("a");
    expect(w.complete(1)).toBe("d"); // b done: a, b, c, d are a prefix now
    expect(w.complete(4)).toBe("e");
  });

  it("has no position while the first file is undelivered", () => {
    const w = new Watermark(["a", "b"], () => false);
    expect(w.position).toBeUndefined();
    expect(w.complete(1)).toBeUndefined();
  });
});
