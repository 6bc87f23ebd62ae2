import { fileURLToPath } from "node:url";

/** The built command line, run as users run it. */
export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
