import { z } from "zod";
import { durationField } from "../../config/duration.js";
import { OBJECT_KINDS, type ObjectKind, objectKind } from "./catalog.js";

/**
 * The `objects` section. Every key has a default, so `objects: {}` reads every supported object
 * the Run As user can read, from a day back, every minute.
 */
export const objectsSchema = z
  .object({
    types: z
      .array(z.string())
      .min(
        1,
        "list at least one object, or leave types out to read every supported object this user can read",
      )
      .superRefine((names, ctx) => {
        const unknown = names.filter((name) => objectKind(name) === undefined);
        if (unknown.length > 0) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            message: `unknown object ${unknown.join(", ")}; supported: ${OBJECT_KINDS.map((k) => k.name).join(", ")}`,
          });
        }
      })
      .optional(),
    lookback: durationField("24h").default("24h"),
    start: z
      .string()
      .datetime({ offset: true, message: "expected an ISO date-time such as 2026-11-01T00:00:00Z" })
      .optional(),
    poll_every: durationField("1m")
      .default("1m")
      .refine((ms) => ms >= 1_000, "expected at least 1s (each poll queries every object)"),
    lag: durationField("1m").default("1m"),
    overlap: durationField("15m").default("15m"),
    // An hour of the busiest object is a few hundred thousand rows: pages stream, so the window
    // bounds how much is read again after a failure, not what memory holds.
    window: durationField("1h")
      .default("1h")
      .refine((ms) => ms >= 1_000, "expected at least 1s"),
  })
  .strict();

export type ObjectsConfig = z.output<typeof objectsSchema>;

/**
 * The objects a section asks for: those it names, whatever the API version (the org says whether
 * it has them), or by default every object the configured API version has.
 */
export function configuredKinds(section: ObjectsConfig, apiVersion: string): ObjectKind[] {
  if (section.types) return section.types.map((name) => objectKind(name)!);
  const version = Number.parseFloat(apiVersion);
  return OBJECT_KINDS.filter((kind) => kind.since <= version);
}
