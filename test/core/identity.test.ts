import { describe, expect, it } from "vitest";
import { eventFingerprint, eventId } from "../../src/core/identity.js";

// Digests computed apart, with `printf '%s' ROW | openssl dgst -sha256 -binary | base64`.
const ROW = '{"EVENT_TYPE":"Login","USER_NAME":"zoë@acme.example","CITY":"東京"}';
const ROW_SHA256_HEX = "0bfddf3574a26c199c417e1f5e0188fe08ec1885ff377b2a2958a23b9d30b834";
const EMPTY_SHA256_HEX = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

describe("a row's identity", () => {
  it("is the first 22 characters of the base64url SHA-256 of the raw event, read as UTF-8", () => {
    expect(eventId(ROW)).toBe("C_3fNXSibBmcQX4fXgGI_g");
    expect(eventId("")).toBe("47DEQpj8HBSa-_TImW-5JC");
  });

  it("deduplicates on the digest's first 8 bytes, big-endian and signed", () => {
    expect(eventFingerprint(ROW)).toBe(BigInt(`0x${ROW_SHA256_HEX.slice(0, 16)}`));
    expect(eventFingerprint("")).toBe(BigInt.asIntN(64, BigInt(`0x${EMPTY_SHA256_HEX.slice(0, 16)}`)));
  });

  it("gives a fingerprint a SIEM can read back from event.id: its first 8 bytes", () => {
    const rows = ["", ROW, ...Array.from({ length: 200 }, (_, i) => `{"N":"${i}"}`)];
    for (const row of rows) {
      expect(Buffer.from(eventId(row), "base64url").readBigInt64BE(0)).toBe(eventFingerprint(row));
    }
  });

  it("is the same for the same row and differs for rows one character apart, non-ASCII included", () => {
    const others = [ROW.replace("ë", "e"), ROW.replace("東", "京"), ROW.replace("Login", "Logim")];
    expect(new Set([ROW, `${ROW}`, ...others].map(eventId)).size).toBe(4);
    expect(new Set([ROW, `${ROW}`, ...others].map(eventFingerprint)).size).toBe(4);
  });

  it("spreads fingerprints over the whole signed 64-bit range", () => {
    const values = Array.from({ length: 2000 }, (_, i) => eventFingerprint(`{"N":"${i}"}`));
    expect(values.some((v) => v < 0n)).toBe(true);
    expect(values.some((v) => v > 2n ** 53n)).toBe(true);
    expect(new Set(values).size).toBe(values.length);
  });
});
