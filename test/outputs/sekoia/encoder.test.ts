import { describe, expect, it } from "vitest";
import { BatchBody } from "../../../src/outputs/sekoia/encoder.js";

const head = BatchBody.head("k3y-ForTheTests");

describe("BatchBody", () => {
  it("counts the exact bytes of the body, escapes and multi-byte characters included", () => {
    const body = new BatchBody(head, 1 << 20);
    const events = [
      '{"URI":"/home"}',
      '{"A":"quote \\" and backslash \\\\ and tab \\t"}',
      '{"NAME":"Zoë 東京 🎉"}',
      "{}",
    ];
    for (const json of events) expect(body.tryAdd(json)).toBe(true);
    const text = body.toString();
    expect(body.bytes).toBe(Buffer.byteLength(text));
    expect(JSON.parse(text)).toEqual({ intake_key: "k3y-ForTheTests", jsons: events });
    expect(body.events).toBe(4);
  });

  it("accepts an event that lands exactly on the limit and refuses one byte more", () => {
    const event = '{"URI":"é\\"x"}';
    const probe = new BatchBody(head, 1 << 20);
    probe.tryAdd(event);
    probe.tryAdd(event);
    const exact = new BatchBody(head, probe.bytes);
    expect(exact.tryAdd(event)).toBe(true);
    expect(exact.tryAdd(event)).toBe(true);
    expect(exact.bytes).toBe(Buffer.byteLength(exact.toString()));
    const short = new BatchBody(head, probe.bytes - 1);
    expect(short.tryAdd(event)).toBe(true);
    expect(short.tryAdd(event)).toBe(false);
    expect(short.events).toBe(1);
  });

  it("takes a lone event even when it alone is over the limit, so nothing is stuck", () => {
    const body = new BatchBody(head, 10);
    expect(body.tryAdd('{"URI":"/a/long/path"}')).toBe(true);
    expect(body.tryAdd("{}")).toBe(false);
  });
});
