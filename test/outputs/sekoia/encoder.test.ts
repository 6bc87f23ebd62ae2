import { describe, expect, it } from "vitest";
import { BatchBody, BodyBuffers } from "../../../src/outputs/http-batch/body.js";
import { intakeBody } from "../../../src/outputs/sekoia/intake.js";

const format = intakeBody("k3y-ForTheTests");
const { head } = format;
const batch = (limit: number) => new BatchBody(format, Buffer.alloc(limit));

describe("BatchBody", () => {
  it("counts the exact bytes of the body, escapes and multi-byte characters included", () => {
    const body = batch(1 << 20);
    const events = [
      '{"URI":"/home"}',
      '{"A":"quote \\" and backslash \\\\ and tab \\t"}',
      '{"NAME":"Zoë 東京 🎉"}',
      "{}",
    ];
    for (const json of events) expect(body.tryAdd(json)).toBe(true);
    const bytes = body.bytes;
    const sent = body.close();
    expect(sent.length).toBe(bytes);
    expect(JSON.parse(sent.toString("utf8"))).toEqual({ intake_key: "k3y-ForTheTests", jsons: events });
    expect(body.events).toBe(4);
  });

  it("accepts an event that lands exactly on the limit and refuses one byte more", () => {
    // Multi-byte characters, so that the exact measure is taken near the limit, not the estimate.
    const event = '{"URI":"é東\\"x"}';
    const probe = batch(1 << 20);
    probe.tryAdd(event);
    probe.tryAdd(event);
    const exact = batch(probe.bytes);
    expect(exact.tryAdd(event)).toBe(true);
    expect(exact.tryAdd(event)).toBe(true);
    expect(exact.close().equals(probe.close())).toBe(true);
    const short = batch(probe.bytes - 1);
    expect(short.tryAdd(event)).toBe(true);
    expect(short.tryAdd(event)).toBe(false);
    expect(short.events).toBe(1);
    expect(JSON.parse(short.close().toString()).jsons).toEqual([event]);
  });

  it("takes a lone event even when it alone is over the limit, so nothing is stuck", () => {
    const body = batch(head.length + 4);
    expect(body.tryAdd('{"URI":"/a/long/path"}')).toBe(true);
    expect(body.tryAdd("{}")).toBe(false);
    expect(JSON.parse(body.close().toString()).jsons).toEqual(['{"URI":"/a/long/path"}']);
  });

  it("cuts a sealed body into smaller ones without encoding its events again", () => {
    const body = batch(1 << 16);
    const events = ['{"URI":"/a"}', '{"NAME":"Zoë 東京 \\"x\\""}', "{}", '{"URI":"/d"}', '{"URI":"/e"}'];
    for (const json of events) body.tryAdd(json);
    const sealed = body.seal();
    expect(sealed.events).toBe(5);
    expect(events.map((_, i) => sealed.event(i))).toEqual(events);
    const part = sealed.slice(1, 4);
    expect(JSON.parse(part.body.toString("utf8"))).toEqual({
      intake_key: "k3y-ForTheTests",
      jsons: events.slice(1, 4),
    });
    // A part of a part, and the empty batch, are bodies of their own too.
    expect(JSON.parse(part.slice(1, 2).body.toString("utf8")).jsons).toEqual([events[2]]);
    expect(part.slice(2, 3).event(0)).toBe(events[3]);
    expect(JSON.parse(sealed.slice(0, 0).body.toString("utf8")).jsons).toEqual([]);
  });

  it("starts afresh in a reused buffer", () => {
    const buffers = new BodyBuffers(1 << 16, 1);
    const first = new BatchBody(format, buffers.take());
    first.tryAdd('{"URI":"/first/and/longer"}');
    first.close();
    buffers.giveBack(first.memory);
    const second = new BatchBody(format, buffers.take());
    expect(second.memory).toBe(first.memory);
    second.tryAdd("{}");
    expect(JSON.parse(second.close().toString()).jsons).toEqual(["{}"]);
  });
});
