import { describe, expect, it } from "vitest";
import { rowFingerprint } from "../../src/engine/fingerprint.js";

describe("rowFingerprint", () => {
  it("takes the first 64 bits of MD5 (the empty string's digest starts d41d8cd9 8f00b204)", () => {
    expect(rowFingerprint("")).toBe(BigInt.asIntN(64, 0xd98c1dd404b2008fn));
  });

  it("is the same for the same row and differs for rows one character apart, non-ASCII included", () => {
    const row = '{"URI":"/home","USER_NAME":"zoë@acme.example","CITY":"東京"}';
    expect(rowFingerprint(row)).toBe(rowFingerprint(`${row}`));
    const others = [row.replace("ë", "e"), row.replace("東", "京"), row.replace("/home", "/homf")];
    const all = new Set([row, ...others].map(rowFingerprint));
    expect(all.size).toBe(4);
  });

  it("spreads over the whole signed 64-bit range", () => {
    const values = Array.from({ length: 2000 }, (_, i) => rowFingerprint(`{"N":"${i}"}`));
    expect(values.some((v) => v < 0n)).toBe(true);
    expect(values.some((v) => v > 2n ** 53n)).toBe(true);
    expect(new Set(values).size).toBe(values.length);
  });
});
