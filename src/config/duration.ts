import { z } from "zod";
import { parseDuration } from "../core/duration.js";

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
