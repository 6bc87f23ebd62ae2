import { describe, expect, it } from "vitest";
import { LogFileReader, type LogFileBatch } from "../../src/csv/log-file-reader.js";
import { MAX_RECORD_CHARS } from "../../src/csv/parser.js";
import { rowJsonEncoder } from "../../src/csv/row-json.js";

async function readAll(chunks: (Uint8Array | string)[]) {
  const reader = new LogFileReader();
  const batches: LogFileBatch[] = [];
  async function* source() {
    yield* chunks;
  }
  for await (const b of reader.read(source())) batches.push(b);
  return {
    header: reader.header,
    unreadableHeader: reader.unreadableHeader,
    rows: batches.flatMap((b) => b.rows),
    problems: batches.flatMap((b) => b.problems),
  };
}

describe("LogFileReader", () => {
  it("names a repeated column with a suffix, so no value is lost to a repeated JSON key", async () => {
    const reader = new LogFileReader();
    async function* source() {
      yield '"URI","A","URI","URI_2","URI"\n"/a","1","/b","x","/c"\n';
    }
    const rows = [];
    for await (const batch of reader.read(source())) rows.push(...batch.rows);
    expect(reader.header).toEqual(["URI", "A", "URI_3", "URI_2", "URI_4"]);
    expect(reader.repeatedColumns).toEqual(["URI"]);
    const json = rowJsonEncoder(reader.header!)(rows[0].values);
    expect(JSON.parse(json)).toEqual({ URI: "/a", A: "1", URI_3: "/b", URI_2: "x", URI_4: "/c" });
  });

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
    const none = { rows: [], problems: [], unreadableHeader: false };
    expect(await readAll([])).toEqual({ header: undefined, ...none });
    expect(await readAll(['"A","B"\n'])).toEqual({ header: ["A", "B"], ...none });
  });

  it("reports a header too large to hold, then every row, as their columns are unknown", async () => {
    // Chunks of one repeated string: the header is never built whole, here or in the reader.
    const chunk = "h".repeat(64 * 1024);
    const chunks = ['"A', ...Array.from({ length: MAX_RECORD_CHARS / chunk.length }, () => chunk)];
    const { header, unreadableHeader, rows, problems } = await readAll([
      ...chunks,
      '","B"\n"1","2"\n\n"3","4","5"\n',
    ]);
    const chars = MAX_RECORD_CHARS + 7; // "A, then ","B"
    expect(header).toBeUndefined();
    expect(unreadableHeader).toBe(true);
    expect(rows).toEqual([]);
    const unknown = "the header on line 1 could not be read, so the columns of this row are unknown";
    expect(problems).toEqual([
      {
        line: 1,
        reason: `record of ${chars} characters, longer than ${MAX_RECORD_CHARS} characters (the reader's limit)`,
        excerpt: `"A${"h".repeat(198)}`,
        chars,
      },
      { line: 2, reason: unknown, excerpt: '["1","2"]' },
      { line: 4, reason: unknown, excerpt: '["3","4","5"]' },
    ]);
  });

  it("never takes a row for the header when the first line is malformed", async () => {
    const { header, rows, problems } = await readAll(['"A"x,"B"\n"1","2"\n']);
    expect(header).toBeUndefined();
    expect(rows).toEqual([]);
    expect(problems.map((p) => [p.line, p.reason])).toEqual([
      [1, "characters after a closing quote"],
      [2, "the header on line 1 could not be read, so the columns of this row are unknown"],
    ]);
  });
});
