import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { configSchema } from "../../src/app/config.js";
import { collectionSchema } from "../../src/app/orgs.js";
import { withOutputReference } from "../../src/app/configuration-docs.js";

/** Every dotted key of the schema, found by walking it (through defaults, optionals and refinements). */
function keys(schema: z.ZodTypeAny, prefix: string): string[] {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s._def.innerType;
    else if (s instanceof z.ZodEffects) s = s._def.schema;
    else break;
  }
  if (!(s instanceof z.ZodObject)) return [];
  return Object.entries(s.shape as Record<string, z.ZodTypeAny>).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    return [path, ...keys(v, path)];
  });
}

describe("docs/configuration.md", () => {
  it("documents every key of the schema", () => {
    const doc = readFileSync(new URL("../../docs/configuration.md", import.meta.url), "utf8");
    // A file that lists orgs has its own keys beside the process's (orgs, orgs_dir, defaults).
    const all = [...new Set([...keys(configSchema, ""), ...keys(collectionSchema, "")])];
    expect(all.length).toBeGreaterThan(20);
    const undocumented = all.filter((k) =>
      !k.includes(".") ? !doc.includes(`\`${k}`) : !doc.includes(`\`${k}\``),
    );
    expect(undocumented).toEqual([]);
  });

  it("holds the outputs' reference as their folders write it (`npm run docs` rewrites it)", () => {
    const doc = readFileSync(new URL("../../docs/configuration.md", import.meta.url), "utf8");
    const fragment = (key: string) =>
      readFileSync(new URL(`../../src/outputs/${key}/configuration.md`, import.meta.url), "utf8");
    expect(doc).toBe(withOutputReference(doc, fragment));
  });
});
