import type { Dispatcher } from "undici";
import { z } from "zod";
import { durationField } from "../../config/duration.js";
import { urlField } from "../../config/url.js";
import type { Logger } from "../../observability/logger.js";
import type { DeadLetterSink } from "../../core/dead-letters.js";
import type { RetryPolicy } from "../http-batch/delivery.js";

/** The intake of Sekoia.io's FRA1 region; other regions have their own (see the Sekoia.io docs). */
export const DEFAULT_INTAKE_URL = "https://intake.sekoia.io";

/**
 * Sekoia.io's own connector SDK rejects events over 250,000 characters and keeps each request
 * under 90% of a 10 MiB payload; the same limits keep our batches acceptable.
 */
export const MAX_EVENT_CHARS = 250_000;
export const DEFAULT_MAX_BATCH_BYTES = 9 * 1024 * 1024;

/** `outputs.sekoia` in the configuration file (docs: configuration.md in this folder). */
export const sekoiaConfig = z
  .object({
    url: urlField({ example: DEFAULT_INTAKE_URL, secrets: "the intake key" }).default(DEFAULT_INTAKE_URL),
    intake_key: z.string({ required_error: "the intake key is required" }).min(1),
    retry_budget: durationField("15m").default("15m"),
    request_timeout: durationField("2m")
      .default("2m")
      .refine((ms) => ms >= 1_000 && ms <= 30 * 60_000, "expected a duration between 1s and 30m"),
    // The intake takes bodies up to 10 MiB; a smaller bound suits a proxy with a lower limit.
    max_batch_bytes: z
      .number()
      .int()
      .min(64 * 1024, "expected at least 65536 (64 KiB)")
      .max(10 * 1024 * 1024, "expected at most 10485760 (10 MiB), the intake's limit")
      .default(DEFAULT_MAX_BATCH_BYTES),
    max_batch_events: z.number().int().min(1).max(10_000).default(5_000),
  })
  .strict();

export type SekoiaConfig = z.output<typeof sekoiaConfig>;

export interface SekoiaOutputOptions {
  /** The intake's base URL; `/batch` is appended. */
  url?: string;
  intakeKey: string;
  /** Where events too large for the intake are kept. */
  deadLetters: DeadLetterSink;
  logger: Logger;
  /** Proxy, CA bundle and connection pool for the intake; undici's global dispatcher when absent. */
  dispatcher?: Dispatcher;
  /** Request body bytes (before compression) that a batch never exceeds. */
  maxBatchBytes?: number;
  maxBatchEvents?: number;
  /** How long the first event of a batch waits for company before the batch goes out anyway. */
  lingerMs?: number;
  /** Batches sent at once; one more fills meanwhile, and then write() makes the caller wait. */
  maxInFlight?: number;
  retry?: Partial<RetryPolicy>;
  /**
   * How long one request waits for the intake's answer. A request that times out may still have
   * been stored, and is sent again: too short a timeout duplicates every batch of a slow intake.
   */
  requestTimeoutMs?: number;
  /**
   * gzip cuts the bytes on the wire about tenfold on Event Log File rows, for some CPU. Off by
   * default, like Sekoia.io's own connector: the intake documents gzip bodies, but local stand-ins
   * (the demo's, the benchmark's) need not decode them.
   */
  compression?: "gzip" | "none";
}

export const SEKOIA_DEFAULTS = {
  url: DEFAULT_INTAKE_URL,
  maxBatchBytes: DEFAULT_MAX_BATCH_BYTES,
  maxBatchEvents: 5_000,
  lingerMs: 1_000,
  maxInFlight: 2,
  requestTimeoutMs: 120_000,
  compression: "none",
} as const;
