import type { Dispatcher } from "undici";
import type { z } from "zod";
import type { DeadLetterSink } from "../core/dead-letters.js";
import type { SourceEvent } from "../core/event.js";
import type { Finding } from "../core/finding.js";
import type { Output } from "../core/output.js";
import type { Logger } from "../observability/logger.js";

/**
 * A kind of output, as the registry (outputs/index.ts) lists it: its section of the configuration
 * file, how it opens and how `sfevents check` probes it. Its folder holds, besides, its reference
 * (`configuration.md`, assembled into docs/configuration.md by `npm run docs`). Modules that load
 * heavy packages (undici) are imported by open() and probe(), never by the type itself, so that
 * commands which only read the configuration stay light.
 */
export interface OutputType<Key extends string = string, Schema extends z.ZodTypeAny = z.ZodTypeAny> {
  /** Its key under `outputs:`, which is also its folder's name. */
  readonly key: Key;
  /** What people call it, in check's checklist and the reference: "Sekoia.io intake". */
  readonly title: string;
  /** Its section of the configuration file; a config of an earlier version must keep passing. */
  readonly schema: Schema;
  /** Opens the output; a destination that cannot work (a path that cannot be written) throws here. */
  open(config: z.output<Schema>, context: OutputContext): Promise<Output>;
  /**
   * Whether the output could work, proved without delivering anything (an empty batch, a writable
   * path; nothing is created). Undefined when there is nothing to check (standard output).
   */
  probe(config: z.output<Schema>, context: ProbeContext): Promise<Finding | undefined>;
}

/** What a probe may use; it closes whatever else it opens. */
export interface ProbeContext {
  /** Silent in check: only the checklist speaks. */
  logger: Logger;
  /** Proxy, CA bundle, connection pool: the caller's, which the caller closes. */
  dispatcher: Dispatcher;
}

/** What an output is opened with; all of it belongs to the caller, who closes it after the outputs. */
export interface OutputContext extends ProbeContext {
  /** Where events the output cannot deliver as they are go. */
  deadLetters: DeadLetterSink;
  /** The ECS documents of this run, shared by every output that writes ECS. */
  ecs: EcsEncoders;
}

/**
 * Gives the encoder of an event into its ECS document as JSON text. Every output that asks gets the
 * same one, which keeps the document on the event: an event is normalized at most once.
 */
export type EcsEncoders = (options: { includeOriginal: boolean }) => Promise<(event: SourceEvent) => string>;
