import { hash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createNormalizer } from "../../src/normalize/normalizer.js";
import { type EcsDocument, parsed } from "./ecs-types.js";

/**
 * Rows of every event type the simulator generates (seed 11, with LogFileFieldTypes; up to six rows
 * per type, chosen so that each has a different set of non-empty columns or statuses), with the
 * documents the object-building normalizer produced for them before the JSON writer replaced it.
 * The rows are stored with their documents, so the expectations do not move when the simulator does.
 * event.id is left out of the comparison: its definition changed since (docs/mapping.md).
 */
interface Sample {
  eventType: string;
  header: string[];
  fieldTypes: string[];
  rows: { values: string[]; document: Record<string, unknown> }[];
}

const samples: Sample[] = JSON.parse(
  readFileSync(new URL("./fixtures/simulated-documents.json", import.meta.url), "utf8"),
);

function withoutId(doc: EcsDocument): EcsDocument {
  const { id: _, ...event } = doc.event as Record<string, unknown>;
  return { ...doc, event };
}

const idOf = (doc: EcsDocument) => (doc.event as { id: string }).id;

describe("the JSON writer", () => {
  it.each(samples.map((s) => [s.eventType, s] as const))(
    "writes the same %s documents as the object-building normalizer did",
    async (_type, sample) => {
      const normalizer = await createNormalizer();
      const encode = parsed(normalizer.forHeader(sample.header, undefined, sample.fieldTypes));
      for (const { values, document } of sample.rows)
        expect(withoutId(encode(values))).toEqual(withoutId(document));
    },
  );

  it("gives every row its own event.id, the same from one normalizer to the next", async () => {
    const ids = async () => {
      const normalizer = await createNormalizer();
      return samples.flatMap((s) => {
        const encode = parsed(normalizer.forHeader(s.header, undefined, s.fieldTypes));
        return s.rows.map(({ values }) => idOf(encode(values)));
      });
    };
    const first = await ids();
    expect(first.every((id) => /^[\w-]{22}$/.test(id))).toBe(true);
    expect(new Set(first).size).toBe(first.length);
    expect(await ids()).toEqual(first);
  });

  it("computes event.id as docs/mapping.md defines it, so other tools can recompute it", async () => {
    const normalizer = await createNormalizer();
    const { header, fieldTypes, rows } = samples[0];
    // The raw event as the outputs send it: the row keyed by its header, values as written.
    const raw = JSON.stringify(Object.fromEntries(header.map((column, i) => [column, rows[0].values[i]])));
    const expected = hash("sha256", raw, "base64url").slice(0, 22);
    expect(idOf(parsed(normalizer.forHeader(header, undefined, fieldTypes))(rows[0].values))).toBe(expected);
  });
});
