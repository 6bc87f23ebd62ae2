import { hash } from "node:crypto";

/**
 * A row's identity for deduplication: 64 bits of MD5 over the raw event (the row keyed by its
 * header), so the same row written again in a later file of the same hour or day matches whatever
 * its position. Fingerprints are only compared within one scope (an event type's hour or day), where
 * even ten million rows give a collision probability of about 3·10⁻⁶.
 */
export function rowFingerprint(json: string): bigint {
  // The digest as a "binary" (latin1) string, one character per byte: about half the cost of a
  // Buffer digest read with readBigInt64LE, on the hot path of every row.
  const d = hash("md5", json, "binary");
  const high =
    (d.charCodeAt(0) | (d.charCodeAt(1) << 8) | (d.charCodeAt(2) << 16) | (d.charCodeAt(3) << 24)) >>> 0;
  const low =
    (d.charCodeAt(4) | (d.charCodeAt(5) << 8) | (d.charCodeAt(6) << 16) | (d.charCodeAt(7) << 24)) >>> 0;
  return BigInt.asIntN(64, (BigInt(high) << 32n) | BigInt(low));
}
