import { createHash } from "node:crypto";

/**
 * An event's key, the same in the intake (the text it received) and in the fleet scenario (the text
 * the collector sends of a simulated row, JSON.stringify of its values): the first 64 bits of its
 * SHA-1, in hex. Collisions are negligible at a benchmark's millions of rows.
 */
export function rowKey(text) {
  return createHash("sha1").update(text).digest("hex").slice(0, 16);
}
