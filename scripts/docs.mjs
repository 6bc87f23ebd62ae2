// `npm run docs`: rewrites the outputs' part of docs/configuration.md from the output types' folders.
import { readFileSync, writeFileSync } from "node:fs";
import { withOutputReference } from "../dist/app/configuration-docs.js";

const page = new URL("../docs/configuration.md", import.meta.url);
const fragment = (key) =>
  readFileSync(new URL(`../src/outputs/${key}/configuration.md`, import.meta.url), "utf8");
writeFileSync(page, withOutputReference(readFileSync(page, "utf8"), fragment));
process.stderr.write(`docs: ${page.pathname} written\n`);
