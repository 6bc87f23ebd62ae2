import { fileOutputType } from "./file/index.js";
import { sekoiaOutputType } from "./sekoia/index.js";

/**
 * Every output type sfevents has, one line each: the configuration schema, `sfevents check`, the
 * assembly and docs/configuration.md are built from this list, in this order. Adding an output is
 * one folder and one line here (docs/architecture.md, "Outputs").
 */
export const OUTPUT_TYPES = [sekoiaOutputType, fileOutputType] as const;

export type { EcsEncoders, OutputContext, OutputType, ProbeContext } from "./output-type.js";
