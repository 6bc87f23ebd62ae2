/**
 * Log lines for a person at a terminal: `14:03:12 WARN  message  key=value ...` instead of JSON.
 * The JSON line is redacted before it gets here; this only rearranges it.
 */

const LEVEL_WIDTH = 5;
/** Fields every line has, shown in the line's head or not at all. */
const HEAD = new Set(["level", "time", "msg", "name"]);

export function prettyLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof record.time === "string" ? record.time.slice(11, 19) : "";
  const level = String(record.level ?? "")
    .toUpperCase()
    .padEnd(LEVEL_WIDTH);
  const fields = Object.entries(record)
    .filter(([key]) => !HEAD.has(key))
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  return `${time} ${level} ${String(record.msg ?? "")}${fields.length > 0 ? `  ${fields.join(" ")}` : ""}\n`;
}

/** A destination that writes each JSON line pretty. */
export function prettyDestination(stream: NodeJS.WritableStream): { write(line: string): boolean } {
  return { write: (line) => stream.write(prettyLine(line)) };
}
