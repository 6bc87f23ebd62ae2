import { ConfigError } from "../config/load.js";
import type { EcsEncoders } from "../outputs/index.js";
import type { Config } from "./config.js";

/**
 * The ECS encoder of one run, built on the first output's request (the normalizer and its GeoIP
 * databases load only then) and shared by every output after it. The document is kept on the event,
 * so outputs that want it must want the same one.
 */
export function ecsEncoders(enrich: Config["enrich"]): EcsEncoders {
  let shared: { includeOriginal: boolean; encoder: ReturnType<EcsEncoders> } | undefined;
  return ({ includeOriginal }) => {
    if (shared && shared.includeOriginal !== includeOriginal) {
      throw new ConfigError(
        "Outputs that write ECS share one document per event, so they must agree on include_original: set it the same in each.",
      );
    }
    shared ??= {
      includeOriginal,
      encoder: (async () => {
        const { createNormalizer } = await import("../normalize/normalizer.js");
        const { sharedEcs } = await import("../normalize/shared-ecs.js");
        return sharedEcs(
          await createNormalizer({ geoipPath: enrich.geoip, asnPath: enrich.asn, includeOriginal }),
        );
      })(),
    };
    return shared.encoder;
  };
}
