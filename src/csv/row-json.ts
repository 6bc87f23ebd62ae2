/**
 * The event as Sekoia.io's Salesforce format reads it: one JSON object per CSV row, keys the CSV
 * header, values the strings as written. Building the text directly from precomputed key prefixes is
 * about twice as fast as building an object and calling JSON.stringify on it.
 */
export function rowJsonEncoder(header: readonly string[]): (values: readonly string[]) => string {
  const prefixes = header.map((name, i) => `${i === 0 ? "{" : ","}${JSON.stringify(name)}:`);
  const n = prefixes.length;
  return (values) => {
    let out = "";
    for (let i = 0; i < n; i++) out += prefixes[i] + JSON.stringify(values[i]);
    return n === 0 ? "{}" : `${out}}`;
  };
}
