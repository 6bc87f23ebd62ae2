import { createNormalizer, type Normalizer } from "../normalize/normalizer.js";
import { sharedEcs } from "../normalize/shared-ecs.js";
import { STDOUT_PATH } from "../outputs/file/config.js";
import { FileOutput } from "../outputs/file/sink.js";

/** How a replay writes its rows: the options of `sfevents replay` that shape each line. */
export interface LineOptions {
  format: "raw" | "ecs";
  geoip?: string;
  asn?: string;
  includeOriginal?: boolean;
}

/**
 * Text gathered before a write to standard output: what a pipe holds. Chunks this small die young in
 * the garbage collector, where the file output's default megabyte made replay a third slower.
 */
const STDOUT_CHUNK_CHARS = 64 * 1024;

/** The NDJSON lines of a replay, raw or ECS, written to `stdout` in chunks; close() releases the GeoIP files. */
export async function openLines(
  options: LineOptions,
  stdout: NodeJS.WritableStream,
): Promise<{ output: FileOutput; close(): Promise<void> }> {
  const normalizer: Normalizer | undefined =
    options.format === "ecs"
      ? await createNormalizer({
          geoipPath: options.geoip,
          asnPath: options.asn,
          includeOriginal: options.includeOriginal,
        })
      : undefined;
  const output = await FileOutput.open({
    path: STDOUT_PATH,
    stdout,
    chunkChars: STDOUT_CHUNK_CHARS,
    encode: normalizer && sharedEcs(normalizer),
  });
  return {
    output,
    close: async () => {
      await output.close();
      await normalizer?.close();
    },
  };
}
