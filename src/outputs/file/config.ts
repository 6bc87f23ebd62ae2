import { z } from "zod";
import type { Logger } from "../../observability/logger.js";
import type { SourceEvent } from "../../core/event.js";

export interface FileOutputOptions {
  /** Where NDJSON is appended (directories are created), or "-" for standard output. */
  path: string;
  /** Turns an event into its line; the raw event (`event.json`) when absent. */
  encode?: (event: SourceEvent) => string;
  /** Text gathered before a write to the file, and the most held while a write is under way. */
  chunkChars?: number;
  /** The stream "-" writes to: the process's standard output unless a command gives its own. */
  stdout?: NodeJS.WritableStream;
  /** Told when the file had to be repaired on opening (an incomplete last line cut). */
  logger?: Logger;
}

export const DEFAULT_CHUNK_CHARS = 1024 * 1024;

export const STDOUT_PATH = "-";

/** `outputs.file` in the configuration file (docs: configuration.md in this folder). */
export const fileConfig = z
  .object({
    path: z.string().min(1),
    format: z.enum(["raw", "ecs"]).default("raw"),
    include_original: z.boolean().default(false),
  })
  .strict();

export type FileConfig = z.output<typeof fileConfig>;
