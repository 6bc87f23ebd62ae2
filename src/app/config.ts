import type { z } from "zod";
import { readDocument, validated } from "../config/load.js";
import { EVENT_LOG_FILE_DEFAULTS, configSchema as withOutputs } from "../config/schema.js";
import { OUTPUT_TYPES } from "../outputs/index.js";
import { objectsSchema } from "../sources/objects/config.js";
import { streamsSchema } from "../sources/streams/config.js";

type OutputTypes = (typeof OUTPUT_TYPES)[number];

/** `outputs:` holds one optional section per registered output type, under its key. */
type OutputsShape = { [T in OutputTypes as T["key"]]: z.ZodOptional<T["schema"]> };

function outputsShape(): OutputsShape {
  return Object.fromEntries(OUTPUT_TYPES.map((type) => [type.key, type.schema.optional()])) as OutputsShape;
}

/** The configuration file's schema, its outputs taken from the registry, each source's section from its folder. */
export const configSchema = withOutputs(outputsShape(), {
  objects: objectsSchema.optional(),
  streams: streamsSchema.optional(),
});

export type Config = z.output<typeof configSchema>;

/**
 * The Event Log File section collect uses: the file's own; its defaults when the file names no
 * source at all (a 0.1 configuration, or one with outputs only); none when it names only others.
 */
export function eventLogFilesOf(config: Config): typeof EVENT_LOG_FILE_DEFAULTS | undefined {
  if (config.event_log_files) return config.event_log_files;
  return config.objects || config.streams ? undefined : EVENT_LOG_FILE_DEFAULTS;
}

/** Validates a parsed document; every mistake is listed at once, each naming its key. */
export function parseConfig(
  document: unknown,
  env: NodeJS.ProcessEnv = process.env,
  source = "config",
): Config {
  return validated(configSchema, document, env, source);
}

export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): Config {
  return parseConfig(readDocument(path, "configuration file"), env, path);
}
