import { hash } from "node:crypto";

/**
 * `event.id`: a fingerprint of the row (its event type, header and values), so the same row
 * delivered twice (a re-collected file, a daily file that replaces the hourly ones) gets the same
 * id and a store can drop the copy. The first 128 bits of SHA-256, in base64url, over the
 * SHA-256 of the event type and header (computed once per header, so a row hashes its values
 * and 44 more bytes rather than the whole header again) followed by the values. A cryptographic
 * hash costs little more than a fast one here (most of the time goes to joining the values), and
 * nobody can craft a row that takes the id of another one to have it dropped as a duplicate.
 */
export function rowFingerprinter(
  eventType: string,
  header: readonly string[],
): (values: readonly string[]) => string {
  // NUL never occurs in an Event Log File, so it separates values without ambiguity.
  const headerDigest = hash("sha256", `${eventType}\0${header.join("\0")}`, "base64url");
  const prefix = `${headerDigest}\0`;
  return (values) => hash("sha256", prefix + values.join("\0"), "base64url").slice(0, 22);
}
