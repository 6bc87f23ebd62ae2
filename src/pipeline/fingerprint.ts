import { hash } from "node:crypto";

/**
 * A row's identity for deduplication: 64 bits of MD5 over the raw event (the row keyed by its
 * header), so the same row written again in a later file of the same hour or day matches whatever
 * its position. Fingerprints are only compared within one scope (an event type's hour or day), where
 * even ten million rows give a collision probability of about 3·10⁻⁶.
 */
export function rowFingerprint(json: string): bigint {
  return hash("md5", json, "buffer").readBigInt64LE(0);
}
