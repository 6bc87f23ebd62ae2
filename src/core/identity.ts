import { hash } from "node:crypto";

/**
 * A row's one identity: SHA-256 over its raw event, the JSON text (UTF-8) the outputs send as the
 * raw event (the row keyed by its header, values as written). `event.id` and the fingerprint
 * sfevents deduplicates on are both read from that one digest, so a SIEM deduplicating on
 * `event.id` drops at least what sfevents drops. A cryptographic hash because this is a security
 * log: whoever writes parts of two rows must not be able to make them collide and have one dropped
 * as a copy of the other; with SHA-NI, SHA-256 also costs less than MD5 did.
 *
 * The hot paths want one of the two, never both (the collector the fingerprint, the normalizer the
 * id), so each helper computes the digest once for what it returns.
 */

/** `event.id`: the digest in base64url, its first 22 characters (the first 132 bits). */
export function eventId(json: string): string {
  return hash("sha256", json, "base64url").slice(0, 22);
}

/**
 * The deduplication fingerprint: the digest's first 8 bytes read big-endian as a signed 64-bit
 * integer, so it is also the first 8 bytes of `event.id` decoded from base64url.
 */
export function eventFingerprint(json: string): bigint {
  // The digest as a "binary" (latin1) string, one character per byte: a Buffer digest read with
  // readBigInt64BE costs about 1 µs more per row, for the Buffer.
  const d = hash("sha256", json, "binary");
  const high =
    ((d.charCodeAt(0) << 24) | (d.charCodeAt(1) << 16) | (d.charCodeAt(2) << 8) | d.charCodeAt(3)) >>> 0;
  const low =
    ((d.charCodeAt(4) << 24) | (d.charCodeAt(5) << 16) | (d.charCodeAt(6) << 8) | d.charCodeAt(7)) >>> 0;
  return BigInt.asIntN(64, (BigInt(high) << 32n) | BigInt(low));
}
