import { hash } from "node:crypto";

/**
 * The fingerprint sfevents stored until schema version 4: 64 bits of MD5 over the raw event, the
 * first 8 bytes of the digest read as two little-endian halves, high half first. Units fingerprinted
 * before the upgrade hold these (fingerprinted_units.md5), so a row is looked up by this one too
 * until the last of them in its scope is pruned; new units store the row's identity
 * (core/identity.ts). Exactly the old computation: a row must find the value stored for it.
 */
export function md5Fingerprint(json: string): bigint {
  // The digest as a "binary" (latin1) string, one character per byte: about half the cost of a
  // Buffer digest read with readBigInt64LE.
  const d = hash("md5", json, "binary");
  const high =
    (d.charCodeAt(0) | (d.charCodeAt(1) << 8) | (d.charCodeAt(2) << 16) | (d.charCodeAt(3) << 24)) >>> 0;
  const low =
    (d.charCodeAt(4) | (d.charCodeAt(5) << 8) | (d.charCodeAt(6) << 16) | (d.charCodeAt(7) << 24)) >>> 0;
  return BigInt.asIntN(64, (BigInt(high) << 32n) | BigInt(low));
}
