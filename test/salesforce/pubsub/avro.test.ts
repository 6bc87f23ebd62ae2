import { describe, expect, it } from "vitest";
import { decodePayload, parseSchema } from "../../../src/salesforce/pubsub/avro.js";

const SCHEMA = {
  type: "record",
  name: "Sample",
  namespace: "com.sforce.eventbus",
  fields: [
    { name: "EventDate", type: "long" },
    { name: "Counter", type: ["null", "long"], default: null },
    { name: "Name", type: ["null", "string"], default: null },
    { name: "Either", type: ["null", "string", "long"], default: null },
    { name: "Samples", type: { type: "array", items: ["null", "long"] } },
    { name: "Tags", type: { type: "map", values: ["null", "string"] } },
  ],
};

/** Avro binary of a long, zig-zag varint, written here by hand so the decoder is checked against the format. */
function zigzag(n: bigint): Buffer {
  let z = (n << 1n) ^ (n >> 63n);
  z &= 2n ** 64n - 1n;
  const bytes: number[] = [];
  while (z >= 0x80n) {
    bytes.push(Number((z & 0x7fn) | 0x80n));
    z >>= 7n;
  }
  bytes.push(Number(z));
  return Buffer.from(bytes);
}

describe("Avro decoding of Pub/Sub payloads", () => {
  it("keeps every digit of a long beyond 2^53, as its decimal string", () => {
    const type = parseSchema({ type: "record", name: "L", fields: [{ name: "v", type: "long" }] });
    for (const v of [2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), -(2n ** 53n) - 3n]) {
      expect(decodePayload(type, zigzag(v))).toEqual({ v: v.toString() });
    }
  });

  it("gives safe longs as numbers", () => {
    const type = parseSchema({ type: "record", name: "L", fields: [{ name: "v", type: "long" }] });
    for (const v of [0n, 1795046461263n, 2n ** 53n - 1n, -(2n ** 53n) + 1n]) {
      expect(decodePayload(type, zigzag(v))).toEqual({ v: Number(v) });
    }
  });

  it("unwraps unions, in records, arrays and maps", () => {
    const type = parseSchema(JSON.stringify(SCHEMA));
    const payload = type.toBuffer({
      EventDate: 1795046461263,
      Counter: { long: "9007199254740993" },
      Name: null,
      Either: { string: "12" },
      Samples: [{ long: 3 }, null],
      Tags: { a: { string: "x" }, b: null },
    });
    expect(decodePayload(type, payload)).toEqual({
      EventDate: 1795046461263,
      Counter: "9007199254740993",
      Name: null,
      Either: "12",
      Samples: [3, null],
      Tags: { a: "x", b: null },
    });
  });

  it("writes a precise long back to the same bytes", () => {
    const type = parseSchema({ type: "record", name: "L", fields: [{ name: "v", type: "long" }] });
    expect(type.toBuffer({ v: "-9223372036854775808" })).toEqual(zigzag(-(2n ** 63n)));
    expect(type.isValid({ v: 2 ** 53 })).toBe(false);
    expect(type.isValid({ v: "9223372036854775808" })).toBe(false);
  });
});
