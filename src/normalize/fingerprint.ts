import { createHash } from "node:crypto";

/**
 * `event.id`: a fingerprint of the row (its event type, header and values), so the same row
 * delivered twice (a re-collected file, a daily file that replaces the hourly ones) gets the same
 * id and a store can drop the copy. 128 bits of SHA-256, in base64url.
 */
export function rowFingerprinter(
  eventType: string,
  header: readonly string[],
): (values: readonly string[]) => string {
  // NUL never occurs in an Event Log File, so it separates values without ambiguity.
  const prefix = `${eventType}\0${header.join("\0")}\0\0`;
  return (values) =>
    createHash("sha256")
      .update(prefix + values.join("\0"))
      .digest()
      .subarray(0, 16)
      .toString("base64url");
}
