import type { Random } from "./random.js";

/**
 * Salesforce record ids and the other identifiers that appear in Event Log Files.
 *
 * A record id is 15 case-sensitive characters: a 3-character key prefix naming the object (005 user,
 * 00D organization, 0AT EventLogFile, ...), then an instance part and a serial number in base 62.
 * The 18-character form adds a 3-character suffix that encodes, for each 5-character chunk, which
 * characters are upper case, so the id survives case-insensitive systems.
 */

/** Base-62 digits in ASCII order, so comparing two ids of equal length as strings compares their serials. */
export const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const REQUEST_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** `value` in base 62, left-padded with zeros to `width` digits. */
export function base62(value: number, width: number): string {
  let out = "";
  let v = Math.floor(value);
  while (v > 0) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  if (out.length > width) throw new Error(`${value} does not fit in ${width} base-62 digits`);
  return out.padStart(width, "0");
}

/** A 15-character record id: key prefix (3) + instance (2) + serial (10 base-62 digits). */
export function recordId(keyPrefix: string, instance: string, serial: number): string {
  return keyPrefix + instance + base62(serial, 10);
}

/** A random 15-character record id, for records the org only mentions (reports, documents, jobs). */
export function randomRecordId(keyPrefix: string, instance: string, rnd: Random): string {
  return keyPrefix + instance + "0000" + rnd.chars(BASE62, 6);
}

/** REQUEST_ID: 22 characters, one per transaction (e.g. 4u6LyuMrDvb_G-l1cJIQk-). */
export function requestId(rnd: Random): string {
  return rnd.chars(REQUEST_ID_ALPHABET, 22);
}

/** LOGIN_KEY and SESSION_KEY: 16 base-64 characters (e.g. bY5Wfv8t/Ith7WVE). */
export function sessionKey(rnd: Random): string {
  return rnd.chars(KEY_ALPHABET, 16);
}
