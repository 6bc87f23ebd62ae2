import { toCaseSafeId } from "../../salesforce/ids.js";

/**
 * Id literals in a filter. Salesforce takes the 15-character (case-sensitive) and the 18-character
 * (case-safe) forms of an Id and compares them as the 18-character form; anything else is refused.
 */

const ID_SHAPE = /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/;

/** The 18-character form of `literal`, or undefined when it is not an Id at all. */
export function canonicalId(literal: string): string | undefined {
  if (!ID_SHAPE.test(literal)) return undefined;
  return literal.length === 18 ? literal : toCaseSafeId(literal);
}
