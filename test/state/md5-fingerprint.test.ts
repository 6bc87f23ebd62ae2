import { describe, expect, it } from "vitest";
import { md5Fingerprint } from "../../src/state/sqlite/md5-fingerprint.js";

// The fingerprints state files of schema version 4 and earlier hold: a row must find its own.
describe("md5Fingerprint", () => {
  it("takes the first 64 bits of MD5 as sfevents 0.1 did (the empty string's digest starts d41d8cd9 8f00b204)", () => {
    expect(md5Fingerprint("")).toBe(BigInt.asIntN(64, 0xd98c1dd404b2008fn));
  });

  it("is the same for the same row and differs for rows one character apart, non-ASCII included", () => {
    const row = '{"URI":"/home","USER_NAME":"zoë@acme.example","CITY":"東京"}';
    expect(md5Fingerprint(row)).toBe(md5Fingerprint(`${row}`));
    const others = [row.replace("ë", "e"), row.replace("東", "京"), row.replace("/home", "/homf")];
    const all = new Set([row, ...others].map(md5Fingerprint));
    expect(all.size).toBe(4);
  });

  it("spreads over the whole signed 64-bit range", () => {
    const values = Array.from({ length: 2000 }, (_, i) => md5Fingerprint(`{"N":"${i}"}`));
    expect(values.some((v) => v < 0n)).toBe(true);
    expect(values.some((v) => v > 2n ** 53n)).toBe(true);
    expect(new Set(values).size).toBe(values.length);
  });
});
