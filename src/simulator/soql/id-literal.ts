/**
 * Id literals in a filter. Salesforce takes the 15-character (case-sensitive) and the 18-character
 * (case-safe) forms of an Id and compares them as the 18-character form; anything else is refused.
 */

const SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
const ID_SHAPE = /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/;

/** The 18-character form of `literal`, or undefined when it is not an Id at all. */
export function canonicalId(literal: string): string | undefined {
  if (!ID_SHAPE.test(literal)) return undefined;
  if (literal.length === 18) return literal;
  let suffix = "";
  // Each block of five characters gives one suffix character: bit i is set when character i is upper-case.
  for (let block = 0; block < 3; block++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = literal[block * 5 + i];
      if (c >= "A" && c <= "Z") bits |= 1 << i;
    }
    suffix += SUFFIX_ALPHABET[bits];
  }
  return literal + suffix;
}
