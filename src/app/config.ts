import type { z } from "zod";
import { readDocument, validated } from "../config/load.js";
import { configSchema as withOutputs } from "../config/schema.js";
import { OUTPUT_TYPES } from "../outputs/index.js";

type OutputTypes = (typeof OUTPUT_TYPES)[number];

/** `outputs:` holds one optional section per registered output type, under its key. */
type OutputsShape = { [T in OutputTypes as T["key"]]: z.ZodOptional<T["schema"]> };

function outputsShape(): OutputsShape {
  return Object.fromEntries(OUTPUT_TYPES.map((type) => [type.key, type.schema.optional()])) as OutputsShape;
}

/** The configuration file's schema, its outputs taken from the registry. */
export const configSchema = withOutputs(outputsShape());

export type Config = z.output<typeof configSchema>;

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
