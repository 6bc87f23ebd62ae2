import { z } from "zod";
import { durationField } from "../../config/duration.js";
import { STREAM_KINDS, type StreamKind, streamKind } from "./catalog.js";

/**
 * The `streams` section: Real-Time Event Monitoring events over the Pub/Sub API, seconds after they
 * happen. Every key has a default, so `streams: {}` subscribes to every stream sfevents knows that
 * the Run As user may read.
 */
export const streamsSchema = z
  .object({
    topics: z
      .array(z.string())
      .min(1, "list at least one topic, or leave topics out to subscribe to every stream this user can read")
      .superRefine((topics, ctx) => {
        const unknown = topics.filter((topic) => streamKind(topic) === undefined);
        if (unknown.length > 0) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            message: `unknown topic ${unknown.join(", ")}; supported: ${STREAM_KINDS.map((k) => k.topic).join(", ")}`,
          });
        }
      })
      .optional(),
    endpoint: z
      .string()
      .regex(/^[^\s/:]+:\d+$/, "expected host:port, such as api.pubsub.salesforce.com:7443")
      .default("api.pubsub.salesforce.com:7443"),
    // Only a local simulator speaks plaintext; Salesforce's endpoint is TLS only.
    tls: z.boolean().default(true),
    start: z.enum(["latest", "earliest"]).default("latest"),
    lookback: durationField("72h").default("72h"),
    backfill: z
      .object({
        lag: durationField("1m").default("1m"),
        overlap: durationField("15m").default("15m"),
        window: durationField("1h")
          .default("1h")
          .refine((ms) => ms >= 1_000, "expected at least 1s"),
      })
      .strict()
      .default({}),
    capacity: z
      .number()
      .int()
      .min(100, "expected at least 100 (one Pub/Sub request)")
      .max(100_000)
      .default(2_000),
  })
  .strict();

export type StreamsConfig = z.output<typeof streamsSchema>;

/** The streams a section asks for: those it names, or every stream sfevents knows. */
export function configuredStreams(section: StreamsConfig): StreamKind[] {
  if (section.topics) return section.topics.map((topic) => streamKind(topic)!);
  return [...STREAM_KINDS];
}
