import { z } from "zod";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "90s", "10m", "24h", "7d" (one or more parts: "1h30m") into milliseconds; undefined if not a duration. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    total += Number(amount) * UNITS[unit];
  }
  return total;
}

/** The inverse, for log lines and docs: 5400000 → "1h30m". */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  for (const unit of ["d", "h", "m", "s"]) {
    const size = UNITS[unit];
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return rest > 0 ? `${out}${rest}ms` : out;
}

/**
 * A schema field holding a duration, parsed to milliseconds. `bareSeconds` also accepts a number of
 * seconds (command-line style, `--token-ttl 7200`).
 */
export function durationField(example: string, options: { bareSeconds?: boolean } = {}) {
  const input = options.bareSeconds ? z.union([z.number().nonnegative(), z.string()]) : z.string();
  return input.transform((value, ctx) => {
    const ms = typeof value === "number" ? value * 1000 : parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `expected a duration such as "${example}", got "${value}"`,
      });
      return z.NEVER;
    }
    return ms;
  });
}
