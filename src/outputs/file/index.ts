import type { OutputType } from "../output-type.js";
import { fileConfig, STDOUT_PATH } from "./config.js";
import { FileOutput } from "./sink.js";
import { checkWritable } from "./writable.js";

const TITLE = "File output";

/** NDJSON appended to a file or written to standard output, raw or as ECS documents. */
export const fileOutputType = {
  key: "file",
  title: TITLE,
  schema: fileConfig,
  async open(config, { logger, ecs }) {
    const encode =
      config.format === "ecs" ? await ecs({ includeOriginal: config.include_original }) : undefined;
    return FileOutput.open({ path: config.path, encode, logger });
  },
  async probe(config) {
    return config.path === STDOUT_PATH ? undefined : checkWritable(TITLE, config.path);
  },
} satisfies OutputType<"file", typeof fileConfig>;
