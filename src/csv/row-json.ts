import type { CsvFields } from "../core/event.js";

/**
 * Characters JSON.stringify would escape: quotes, backslashes, controls, and surrogates (so a lone
 * one is escaped exactly as JSON.stringify does; a valid pair merely takes the slower path).
 */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** True when JSON.stringify would escape a character of the string. */
export function needsEscape(value: string): boolean {
  return NEEDS_ESCAPE.test(value);
}

/** A string as JSON text, byte-identical to JSON.stringify: most values only need their quotes. */
export function jsonString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
}

/**
 * The event as Sekoia.io's Salesforce format reads it: one JSON object per CSV row, keys the CSV
 * header, values the strings as written. The text is built directly from precomputed key prefixes,
 * and most values (no quote, backslash or control character) are wrapped in quotes without
 * JSON.stringify: together about three times faster than building an object and stringifying it,
 * for byte-identical output. A row the reader found `plain` (no value to escape) skips even the
 * check of each value.
 */
export function rowJsonEncoder(
  header: readonly string[],
): (values: readonly string[], plain?: boolean) => string {
  const prefixes = header.map((name, i) => `${i === 0 ? "{" : ","}${JSON.stringify(name)}:`);
  // The same with the quotes around a value: `{"A":"`, `","B":"`, ...
  const joints = prefixes.map((prefix, i) => `${i === 0 ? "" : '"'}${prefix}"`);
  const n = prefixes.length;
  if (n === 0) return () => "{}";
  return (values, plain = false) => {
    let out = "";
    if (plain) {
      for (let i = 0; i < n; i++) out += joints[i] + values[i];
      return `${out}"}`;
    }
    for (let i = 0; i < n; i++) {
      out += prefixes[i] + jsonString(values[i]);
    }
    return `${out}}`;
  };
}

/**
 * A row's fields read back from its raw JSON, when the normalizer first asks: a row read on a
 * worker thread crosses to the main thread as its JSON alone, and most outputs never look at the
 * values. Exact, since the JSON holds every column of the header once, each value as a string.
 */
export class FieldsFromJson implements CsvFields {
  readonly kind = "csv";
  private read: readonly string[] | undefined;

  constructor(
    readonly header: readonly string[],
    private readonly json: string,
  ) {}

  get values(): readonly string[] {
    if (this.read === undefined) {
      const row = JSON.parse(this.json) as Record<string, string>;
      this.read = this.header.map((name) => row[name]);
    }
    return this.read;
  }
}
