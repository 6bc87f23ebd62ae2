/** "1 row", "2 rows", "12,345 rows": a count and its noun, for people reading a log line. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? singular : plural}`;
}
