import { z } from "zod";
import { durationField } from "./duration.js";
import { listenField } from "./listen.js";
import { myDomainProblem, urlField } from "./url.js";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

/**
 * The configuration file's schema, but for the outputs, whose sections their own folders hold: one
 * source of truth for validation, defaults, the types the code uses, and the reference in
 * docs/configuration.md (test/config/docs.test.ts keeps the two in step).
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
  .strict();

/** The Event Log File section of a file that has none: collected with every default. */
export const EVENT_LOG_FILE_DEFAULTS = eventLogFiles.parse({});

/** A PostgreSQL connection URL; never repeated in a message, as it may carry a password. */
const postgresUrl = z
  .string()
  .min(1)
  .refine((url) => /^postgres(ql)?:\/\/./.test(url) && URL.canParse(url), {
    message: "expected a URL such as postgres://sfevents@db.example.com:5432/sfevents",
  });

/**
 * Where the state lives: an SQLite file (`path`, the default) or a PostgreSQL database several
 * collectors can share (`postgres`), exactly one of them.
 */
export const stateSection = z
  .object({
    path: z.string().min(1).optional(),
    postgres: z
      .object({
        url: postgresUrl,
        // How long a collector keeps a source of work without renewing its lease (at a third of it).
        lease: duration("30s")
          .default("30s")
          .refine((ms) => ms >= 1_000, "expected at least 1s (a lease is renewed at a third of it)"),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((state) => state.path === undefined || state.postgres === undefined, {
    message:
      "give either path (an SQLite file, one collector) or postgres (a database collectors share), not both",
  })
  .transform((state) =>
    state.postgres !== undefined
      ? { postgres: state.postgres }
      : { path: state.path ?? "./var/sfevents.sqlite" },
  )
  .default({});

/**
 * The whole file, given the `outputs:` section's shape (one optional key per registered output type)
 * and the sections of the sources beside Event Log Files (`objects`): both are assembled above this
 * layer, in app/config.ts, from the folders that own them. At least one output must be set.
 */
export function configSchema<Outputs extends z.ZodRawShape, Sources extends z.ZodRawShape>(
  outputs: Outputs,
  sources: Sources,
) {
  const keys = Object.keys(outputs);
  return z
    .object({
      salesforce,
      // Optional like every source's section; app/config.ts says when it is collected anyway.
      event_log_files: eventLogFiles.optional(),
      ...sources,
      outputs: z
        .object(outputs)
        .strict()
        .refine((o) => keys.some((key) => (o as Record<string, unknown>)[key] !== undefined), {
          message: `configure at least one output: ${alternatives(keys)}`,
        }),
      state: stateSection,
      // Worker threads decoding Event Log Files; absent: one fewer than the cores, at most 4 (app/threads.ts).
      threads: z.number().int().min(0).max(64).optional(),
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
}

/** "sekoia or file", "a, b or c" */
function alternatives(keys: readonly string[]): string {
  return keys.length < 2 ? keys.join("") : `${keys.slice(0, -1).join(", ")} or ${keys.at(-1)}`;
}
