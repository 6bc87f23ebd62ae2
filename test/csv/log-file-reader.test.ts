import { describe, expect, it } from "vitest";
import { LogFileReader, type LogFileBatch } from "../../src/csv/log-file-reader.js";

async function readAll(chunks: (Uint8Array | string)[]) {
  const reader = new LogFileReader();
  const batches: LogFileBatch[] = [];
  async function* source() {
    yield* chunks;
  }
  for await (const b of reader.read(source())) batches.push(b);
  return {
    header: reader.header,
    rows: batches.flatMap((b) => b.rows),
    problems: batches.flatMap((b) => b.problems),
  };
}

describe("LogFileReader", () => {
  it("drops a BOM, decodes UTF-8 split across chunks, and checks rows against the header", async () => {
    const bytes = Buffer.from('\uFEFF"A","B"\n"é","ü"\n"only one"\n"x","y"\n', "utf8");
    const chunks = [...bytes].map((b) => Uint8Array.of(b));
    const { header, rows, problems } = await readAll(chunks);
    expect(header).toEqual(["A", "B"]);
    expect(rows).toEqual([
      { line: 2, values: ["é", "ü"] },
      { line: 4, values: ["x", "y"] },
    ]);
    expect(problems).toEqual([{ line: 3, reason: "expected 2 columns, found 1", excerpt: '["only one"]' }]);
  });

  it("reports a row with invalid UTF-8 and keeps the others", async () => {
    const bad = Buffer.concat([
      Buffer.from('"A"\n"ok"\n"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"\n"ok2"\n'),
    ]);
    const { rows, problems } = await readAll([bad]);
    expect(rows.map((r) => r.values[0])).toEqual(["ok", "ok2"]);
    expect(problems[0]).toMatchObject({ line: 3, reason: "invalid UTF-8 in column A" });
  });

  it("reads an empty file and a header-only file without rows or problems", async () => {
    expect(await readAll([])).toEqual({ header: undefined, rows: [], problems: [] });
    expect(await readAll(['"A","B"\n'])).toEqual({ header: ["A", "B"], rows: [], problems: [] });
  });
});
