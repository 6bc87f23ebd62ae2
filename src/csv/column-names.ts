/**
 * A header's column names made unique. A JSON object with a repeated key is read differently by
 * different parsers (most keep one of the values), so the second `NAME` becomes `NAME_2`, the third
 * `NAME_3` (skipping a suffix the header already uses): every value is kept, under a name of its own.
 */
export function uniqueColumnNames(header: readonly string[]): { names: string[]; repeated: string[] } {
  const taken = new Set(header);
  const seen = new Set<string>();
  const repeated = new Set<string>();
  const names = header.map((name) => {
    if (!seen.has(name)) {
      seen.add(name);
      return name;
    }
    repeated.add(name);
    let n = 2;
    while (taken.has(`${name}_${n}`)) n++;
    const unique = `${name}_${n}`;
    taken.add(unique);
    return unique;
  });
  return { names, repeated: [...repeated] };
}
