/**
 * The import rules of src/, checked by `npm run lint`: no cycles, and each folder imports only the
 * folders below it (docs/architecture.md, "Layers"). A folder missing from LAYERS may import
 * nothing of src/ until it is given its place.
 */

/** Each folder of src/ and the folders it may import, besides core/, which every folder may. */
const LAYERS = {
  // Interfaces and small shared types (the event, source and output interfaces, errors and what to
  // do with them, durations as people write them): imports nothing of src/.
  core: [],
  // Leaves: they know nothing of the rest.
  observability: [],
  // What every HTTP client shares, outage log lines included.
  http: ["observability"],
  config: [],
  csv: [],
  state: [],
  salesforce: ["http", "observability"],
  normalize: ["csv", "salesforce"],
  // A source or an output type holds its own section of the configuration, built with config/'s
  // field helpers.
  sources: ["config", "salesforce", "csv", "observability"],
  outputs: ["config", "http", "observability", "csv", "normalize"],
  // The generic cycle: it knows sources and outputs only by core's interfaces, and no Salesforce object.
  engine: ["observability", "state"],
  // Assembly from the configuration and the registries.
  app: ["config", "http", "observability", "csv", "state", "salesforce", "normalize", "sources", "outputs", "engine"],
  simulator: ["config", "salesforce"],
  // `sfevents replay`'s reading of files, on the main thread or on worker threads.
  replay: ["csv", "http", "normalize", "observability", "outputs"],
  cli: ["config", "http", "observability", "csv", "state", "salesforce", "normalize", "sources", "outputs", "engine", "app", "simulator", "replay"],
};

const layerRules = Object.entries(LAYERS).map(([folder, allowed]) => ({
  name: `layer-${folder}`,
  comment: `src/${folder}/ may import only ${allowed.length ? allowed.map((f) => `src/${f}/`).join(", ") : "nothing else of src/"}`,
  severity: "error",
  from: { path: `^src/${folder}/` },
  to: { path: "^src/", pathNot: `^src/(${[folder, "core", ...allowed].join("|")})/` },
}));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "an import cycle makes two modules one in all but name",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    ...layerRules,
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|node_modules)/" },
  },
};
