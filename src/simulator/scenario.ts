import { dirname, resolve } from "node:path";
import { z } from "zod";
import { durationField } from "../config/duration.js";
import { ConfigError, describeIssue, readDocument } from "../config/load.js";

/**
 * Everything a simulated org can be told, in one schema: the scenario file (YAML or JSON), the
 * options of `sfevents simulate` and `startSimulator()` all end up here, so defaults live in one place.
 * Keys are snake_case like the collector's configuration file.
 */

/** The connected app's credentials when none are given: public, printed on start and in the docs. */
export const DEFAULT_CREDENTIALS = {
  clientId: "3MVG9sfevents.simulator.consumer.key",
  clientSecret: "sfevents-simulator-consumer-secret",
};

// A bare number is seconds, like --token-ttl 7200.
const duration = (example: string) => durationField(example, { bareSeconds: true });

const isoTime = z
  .string()
  .datetime({ offset: true, message: "expected an ISO date-time such as 2026-03-11T15:00:00Z" })
  .transform((text) => new Date(text));

export const FAULT_TYPES = [
  "session-expired",
  "request-limit",
  "edge-routing",
  "query-timeout",
  "server-unavailable",
  "connection-reset",
  "truncated-gzip",
  "slow-body",
  "query-locator-expired",
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

export const FAULT_ROUTES = ["token", "query", "queryMore", "download", "describe", "limits", "any"] as const;
export type FaultRoute = (typeof FAULT_ROUTES)[number];

/** A status is a shorthand for the fault that answers with it. */
const FAULT_BY_STATUS: Record<number, FaultType> = {
  401: "session-expired",
  403: "request-limit",
  420: "edge-routing",
  500: "query-timeout",
  503: "server-unavailable",
};

export const faultSchema = z
  .object({
    type: z.enum(FAULT_TYPES).optional(),
    /** Instead of type: 401, 403, 420, 500 or 503. */
    status: z
      .number()
      .int()
      .refine((s) => FAULT_BY_STATUS[s] !== undefined, { message: "expected 401, 403, 420, 500 or 503" })
      .optional(),
    route: z.enum(FAULT_ROUTES).default("any"),
    /** Only downloads of this event type (download route). */
    event_type: z.string().min(1).optional(),
    /** Only queries (query, queryMore) on this sObject, e.g. LoginEvent. */
    object: z.string().min(1).optional(),
    /** Only downloads of this EventLogFile Id (download route). */
    file_id: z.string().min(15).optional(),
    /** Fail the nth matching request (1 = the next one)... */
    nth: z.number().int().min(1).default(1),
    /** ...and this many in a row from there. */
    count: z.number().int().min(1).default(1),
    /** connection-reset and truncated-gzip: bytes of the (encoded) body sent before the cut. */
    after_bytes: z.number().int().nonnegative().default(1024),
    /** slow-body: the pace of the body. */
    bytes_per_second: z.number().int().min(1).default(1024),
  })
  .strict()
  .transform(({ status, type, ...rest }, ctx) => {
    const resolved = type ?? (status === undefined ? undefined : FAULT_BY_STATUS[status]);
    if (resolved === undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `set type (${FAULT_TYPES.join(", ")}) or status`,
      });
      return z.NEVER;
    }
    return { type: resolved, ...rest };
  });
export type FaultSpec = z.output<typeof faultSchema>;

export const PUBSUB_FAULT_TYPES = ["drop-stream", "auth-error", "refuse-replay-id", "quiet"] as const;

/**
 * A fault of the Pub/Sub API: drop-stream (UNAVAILABLE) and auth-error (UNAUTHENTICATED) end a
 * stream after `after_events` more events; refuse-replay-id fails the next CUSTOM subscription as
 * corrupted; quiet sends nothing at all, not even keepalives, for `for` (wall-clock time).
 */
export const pubSubFaultSchema = z
  .object({
    type: z.enum(PUBSUB_FAULT_TYPES),
    /** Only streams of this topic, e.g. /event/LoginEventStream. */
    topic: z.string().min(1).optional(),
    after_events: z.number().int().nonnegative().default(0),
    for: duration("30s").default("30s"),
  })
  .strict();
export type PubSubFaultSpec = z.output<typeof pubSubFaultSchema>;

const largeFile = z
  .object({
    event_type: z.string().min(1),
    bytes: z.number().int().min(1),
    interval: z.enum(["Hourly", "Daily"]).optional(),
  })
  .strict();

const burst = z
  .object({
    /** A big object: LoginEvent, ApiEvent, ... */
    object: z.string().min(1),
    rows: z.number().int().min(1).max(20_000_000),
    /** EventDate of the first row. */
    at: isoTime,
    /** The rows spread evenly over this long; 0 puts them all in one millisecond. */
    span: duration("1m").default("1m"),
  })
  .strict();

const objects = z
  .object({
    /** Shield or the Event Monitoring add-on: without it RTEM and Threat Detection objects answer INVALID_TYPE. */
    event_monitoring: z.boolean().default(true),
    /** Objects the run-as user may read; every object when not set. */
    readable: z.array(z.string().min(1)).optional(),
    rows_per_hour: z.record(z.string(), z.number().nonnegative()).optional(),
    /** Share of rows stored late: CreatedDate 5 minutes to late_delay after EventDate. */
    late_share: z.number().min(0).max(1).default(0.02),
    late_delay: duration("2h").default("2h"),
    /** Share of activity rows that share the previous row's EventDate to the millisecond. */
    tie_share: z.number().min(0).max(1).default(0.05),
    bursts: z.array(burst).default([]),
  })
  .strict();

const jwt = z
  .object({
    /** PEM text of the connected app's certificate or public key. */
    public_key: z.string().min(1).optional(),
    /** Or a file holding it (relative to the scenario file). */
    public_key_file: z.string().min(1).optional(),
    /** Accepted `aud` claims besides the simulator's own URL. */
    audiences: z
      .array(z.string().min(1))
      .default(["https://login.salesforce.com", "https://test.salesforce.com"]),
  })
  .strict()
  .refine((j) => j.public_key !== undefined || j.public_key_file !== undefined, {
    message: "set public_key (PEM text) or public_key_file",
  });

export const scenarioSchema = z
  .object({
    /** 0 picks a free port. */
    port: z.number().int().min(0).max(65535).default(0),
    seed: z.number().int().default(1),
    /** The simulated "now" when the simulator starts; the current hour when not set. */
    start: isoTime.optional(),
    /** Days of history before `start`. */
    days: z.number().int().min(1).max(60).default(7),
    clock: z
      .object({
        /** Whether simulated time also flows with wall time between moves. */
        running: z.boolean().default(true),
      })
      .strict()
      .default({}),
    org: z
      .object({
        hourly: z.boolean().default(true),
        /** The run-as user holds View Event Log Files; false answers INVALID_TYPE. */
        event_log_file_access: z.boolean().default(true),
        retention_days: z.number().int().min(1).max(365).default(30),
        /** Licensed event types; free types are always there. Every known type when not set. */
        event_types: z.array(z.string().min(1)).optional(),
        rows_per_hour: z.record(z.string(), z.number().nonnegative()).optional(),
        large_files: z.array(largeFile).default([]),
        /** The org's newest API version (and the ApiVersion of its files). */
        api_version: z
          .string()
          .regex(/^\d{2,3}\.0$/, 'expected a version such as "64.0"')
          .default("64.0"),
      })
      .strict()
      .default({}),
    objects: objects.default({}),
    oauth: z
      .object({
        client_id: z.string().min(1).default(DEFAULT_CREDENTIALS.clientId),
        client_secret: z.string().min(1).default(DEFAULT_CREDENTIALS.clientSecret),
        token_ttl: duration("2h").default("2h"),
        /** Answer like login.salesforce.com: the client-credentials grant is refused there. */
        login_host: z.boolean().default(false),
        /** The integration user's username: the run-as user, and the only `sub` a JWT assertion may name. */
        username: z.string().min(1).optional(),
        /** The client-credentials flow's run-as user is set; false answers "no client credentials user enabled". */
        client_credentials_user: z.boolean().default(true),
        jwt: jwt.optional(),
      })
      .strict()
      .default({}),
    query: z
      .object({
        /** Forces pages smaller than batchSize asks for (tests of pagination use a handful). */
        max_page_size: z.number().int().min(1).max(2000).default(2000),
        /** A query locator dies after this long without use. */
        locator_ttl: duration("15m").default("15m"),
        /** Open locators per user; opening one more drops the oldest. */
        max_open_locators: z.number().int().min(1).default(10),
        /**
         * False: a big object's answer is its first page alone, done and without a nextRecordsUrl,
         * its totalSize still counting every match (whether Salesforce pages big objects is disputed).
         */
        big_object_locators: z.boolean().default(true),
      })
      .strict()
      .default({}),
    api: z
      .object({
        /** DailyApiRequests Max: the allowance, restored at simulated midnight UTC. */
        daily_limit: z.number().int().min(1).default(15000),
      })
      .strict()
      .default({}),
    faults: z.array(faultSchema).default([]),
    pubsub: z
      .object({
        /** The gRPC port on 127.0.0.1; 0 picks a free one. */
        port: z.number().int().min(0).max(65535).default(0),
        /** How far back EARLIEST and CUSTOM replay ids reach. */
        retention: duration("72h").default("72h"),
        /** With nothing to send for this long (wall time), a stream gets an empty keepalive. */
        keepalive: duration("270s").default("270s"),
        /** ConcurLongRunApexErrEvent events per hour (the topic has no storage object). */
        concur_rate: z.number().nonnegative().default(0.5),
        faults: z.array(pubSubFaultSchema).default([]),
      })
      .strict()
      .default({}),
  })
  .strict();

/** What a caller may pass: every key optional. */
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;

/** Validates a scenario; every mistake is listed at once, each naming its key. */
export function parseScenario(input: unknown, source = "scenario"): Scenario {
  const result = scenarioSchema.safeParse(input ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((issue) => describeIssue(issue));
    throw new ConfigError(`${source} is not valid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  return result.data;
}

/** Reads a scenario file (YAML or JSON); a relative public_key_file is taken from the file's folder. */
export function loadScenario(path: string): ScenarioInput {
  const document = (readDocument(path, "scenario file") ?? {}) as ScenarioInput;
  const jwt = document.oauth?.jwt;
  if (jwt?.public_key_file !== undefined) jwt.public_key_file = resolve(dirname(path), jwt.public_key_file);
  return document;
}
