import { z } from "zod";
import { durationField } from "./duration.js";
import { listenField } from "./listen.js";
import { myDomainProblem, urlField } from "./url.js";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

/**
 * The configuration file's schema: one source of truth for validation, defaults, the types the code
 * uses, and the reference in docs/configuration.md (test/config/docs.test.ts keeps the two in step).
 */

const duration = (example: string) => durationField(example);

const salesforce = z
  .object({
    url: urlField(
      {
        example: "https://acme.my.salesforce.com",
        secrets: "the client secret and access tokens",
        check: myDomainProblem,
      },
      "the org's My Domain URL is required",
    ),
    client_id: z.string({ required_error: "the connected app's consumer key is required" }).min(1),
    client_secret: z.string().min(1).optional(),
    jwt: z
      .object({
        username: z.string().min(1),
        private_key_file: z.string().min(1),
        // An identifier in the assertion, not an address the collector connects to: no secret goes there.
        audience: urlField({ example: "https://login.salesforce.com" }).optional(),
      })
      .strict()
      .optional(),
    api_version: z
      .string()
      .regex(/^\d{2,3}\.0$/, 'expected a version such as "64.0"')
      .default("64.0"),
  })
  .strict()
  .superRefine((sf, ctx) => {
    if (sf.client_secret === undefined && sf.jwt === undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: "set client_secret (client-credentials flow) or jwt (JWT bearer flow)",
      });
    }
    if (sf.client_secret !== undefined && sf.jwt !== undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: "set client_secret or jwt, not both" });
    }
  });

const eventLogFiles = z
  .object({
    interval: z.enum(["auto", "hourly", "daily"]).default("auto"),
    event_types: z
      .array(z.string().regex(/^[A-Za-z0-9]+$/, "expected an EventType such as Login"))
      .default([]),
    lookback: duration("24h").default("24h"),
    start: z
      .string()
      .datetime({ offset: true, message: "expected an ISO date-time such as 2026-11-01T00:00:00Z" })
      .optional(),
    // 0s once spent 12,000 API calls in 30 s. The floor stops that loop; it is not higher so that
    // tests and demos can still run cycles a second apart.
    poll_every: duration("10m")
      .default("10m")
      .refine(
        (ms) => ms >= 1_000,
        "expected at least 1s (each cycle calls the Salesforce API; Event Log Files appear at most hourly, so 10m is plenty)",
      ),
    overlap: duration("1h").default("1h"),
    concurrency: z.number().int().min(1).max(16).default(2),
    deduplicate: z.boolean().default(true),
  })
  .strict()
  .default({});

const sekoia = z
  .object({
    url: urlField({ example: "https://intake.sekoia.io", secrets: "the intake key" }).default(
      "https://intake.sekoia.io",
    ),
    intake_key: z.string({ required_error: "the intake key is required" }).min(1),
    retry_budget: duration("15m").default("15m"),
    request_timeout: duration("2m")
      .default("2m")
      .refine((ms) => ms >= 1_000 && ms <= 30 * 60_000, "expected a duration between 1s and 30m"),
    // The intake takes bodies up to 10 MiB; a smaller bound suits a proxy with a lower limit.
    max_batch_bytes: z
      .number()
      .int()
      .min(64 * 1024, "expected at least 65536 (64 KiB)")
      .max(10 * 1024 * 1024, "expected at most 10485760 (10 MiB), the intake's limit")
      .default(9 * 1024 * 1024),
    max_batch_events: z.number().int().min(1).max(10_000).default(5_000),
  })
  .strict();

const file = z
  .object({
    path: z.string().min(1),
    format: z.enum(["raw", "ecs"]).default("raw"),
    include_original: z.boolean().default(false),
  })
  .strict();

export const configSchema = z
  .object({
    salesforce,
    event_log_files: eventLogFiles,
    outputs: z
      .object({ sekoia: sekoia.optional(), file: file.optional() })
      .strict()
      .refine((o) => o.sekoia !== undefined || o.file !== undefined, {
        message: "configure at least one output: sekoia or file",
      }),
    state: z
      .object({ path: z.string().min(1).default("./var/sfevents.sqlite") })
      .strict()
      .default({}),
    dead_letters: z
      .object({ path: z.string().min(1).default("./var/dead-letters.ndjson") })
      .strict()
      .default({}),
    enrich: z
      .object({ geoip: z.string().min(1).optional(), asn: z.string().min(1).optional() })
      .strict()
      .default({}),
    tls: z
      .object({ ca_file: z.string().min(1).optional() })
      .strict()
      .default({}),
    limits: z
      .object({
        slow_down_at: z.number().gt(0).max(1).default(0.8),
      })
      .strict()
      .default({}),
    // Off unless listen is set: /metrics, /healthz, /readyz and the status page (docs/operations.md).
    metrics: z
      .object({ listen: listenField("127.0.0.1:9464").optional() })
      .strict()
      .default({}),
    log: z
      // No default here: --log-level and SFEVENTS_LOG_LEVEL win over the file, the file over "info".
      .object({ level: z.enum(LOG_LEVELS).optional() })
      .strict()
      .default({}),
  })
  .strict();

export type Config = z.output<typeof configSchema>;
