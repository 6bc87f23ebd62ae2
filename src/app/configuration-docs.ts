import { OUTPUT_TYPES } from "../outputs/index.js";

/**
 * docs/configuration.md's reference of the outputs, assembled from the registered output types:
 * each folder keeps its own table (`src/outputs/<key>/configuration.md`), and the page keeps, between
 * two markers, those tables in the registry's order. `npm run docs` writes it; a test fails when the
 * page is not what it would write.
 */

const BEGIN =
  "<!-- outputs: begin (written by `npm run docs` from src/outputs/*/configuration.md; edit those) -->";
const END = "<!-- outputs: end -->";

/**
 * The page with its outputs' reference rewritten; everything outside the markers is kept as it is.
 * @param fragment the reference table of the output type with this key
 */
export function withOutputReference(page: string, fragment: (key: string) => string): string {
  const begin = page.indexOf(BEGIN);
  const end = page.indexOf(END);
  if (begin < 0 || end < begin) {
    throw new Error(
      `docs/configuration.md has lost its markers: put "${BEGIN}" and "${END}" back around the outputs.`,
    );
  }
  const sections = OUTPUT_TYPES.map(
    (type) => `### \`outputs.${type.key}\`: ${type.title}\n\n${fragment(type.key).trim()}\n`,
  );
  return `${page.slice(0, begin + BEGIN.length)}\n\n${sections.join("\n")}\n${page.slice(end)}`;
}
