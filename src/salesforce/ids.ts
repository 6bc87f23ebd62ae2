/**
 * Salesforce record ids: 15 case-sensitive characters, or 18 with a suffix that encodes, for each
 * 5-character chunk, which characters are upper case (so the id survives case-insensitive systems).
 */

const SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/** The case-safe suffix of a 15-character id. */
export function caseSafeSuffix(id15: string): string {
  if (id15.length !== 15)
    throw new Error(`a Salesforce id has 15 characters before its suffix, got "${id15}"`);
  let suffix = "";
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charCodeAt(chunk * 5 + i);
      if (c >= 65 && c <= 90) bits |= 1 << i;
    }
    suffix += SUFFIX_ALPHABET[bits];
  }
  return suffix;
}

/** The 18-character, case-insensitive form of a 15-character id. */
export function toCaseSafeId(id15: string): string {
  return id15 + caseSafeSuffix(id15);
}
