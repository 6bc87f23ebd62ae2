import { describe, expect, it } from "vitest";
import { CsvParser, type CsvProblem } from "../../src/csv/parser.js";

function parse(chunks: string[], maxRecordChars?: number) {
  const records: { fields: string[]; line: number }[] = [];
  const problems: CsvProblem[] = [];
  const p = new CsvParser(
    { record: (fields, line) => records.push({ fields, line }), problem: (x) => problems.push(x) },
    { maxRecordChars },
  );
  for (const c of chunks) p.write(c);
  p.end();
  return { records, problems };
}

/** Every way of cutting `text` in two, plus one character at a time. */
function splits(text: string): string[][] {
  const out: string[][] = [[text], [...text]];
  for (let i = 1; i < text.length; i++) out.push([text.slice(0, i), text.slice(i)]);
  return out;
}

const SAMPLE =
  '"EVENT_TYPE","TIMESTAMP","MESSAGE"\r\n' +
  '"Login","20231218054831.655","said ""hi"", twice"\r\n' +
  '"ApexUnexpectedException","20231218054832.000","line1\nline2\r\nline3"\r\n' +
  '"Logout","","x"';

describe("CsvParser", () => {
  it("reads quoted values, doubled quotes, quoted line breaks, CRLF and a missing final break", () => {
    for (const chunks of splits(SAMPLE)) {
      const { records, problems } = parse(chunks);
      expect(problems).toEqual([]);
      expect(records.map((r) => r.fields)).toEqual([
        ["EVENT_TYPE", "TIMESTAMP", "MESSAGE"],
        ["Login", "20231218054831.655", 'said "hi", twice'],
        ["ApexUnexpectedException", "20231218054832.000", "line1\nline2\r\nline3"],
        ["Logout", "", "x"],
      ]);
      expect(records.map((r) => r.line)).toEqual([1, 2, 3, 6]);
    }
  });

  it("accepts unquoted values, LF endings, blank lines and an empty last field", () => {
    for (const chunks of splits("a,b,c\n\n1,,3\n4,5,\n")) {
      const { records, problems } = parse(chunks);
      expect(problems).toEqual([]);
      expect(records.map((r) => r.fields)).toEqual([
        ["a", "b", "c"],
        ["1", "", "3"],
        ["4", "5", ""],
      ]);
    }
  });

  it("keeps NUL characters as written", () => {
    const { records } = parse(['"a","b\u0000c"\n']);
    expect(records[0].fields).toEqual(["a", "b\u0000c"]);
  });

  it("reports an unterminated quote at the end and keeps the records before it", () => {
    for (const chunks of splits('"a","b"\n"c","d\n')) {
      const { records, problems } = parse(chunks);
      expect(records.map((r) => r.fields)).toEqual([["a", "b"]]);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ line: 2, reason: expect.stringContaining("unterminated") });
    }
  });

  it("reports characters after a closing quote and goes on with the next record", () => {
    const { records, problems } = parse(['"a","b"x\n"c","d"\n']);
    expect(records.map((r) => r.fields)).toEqual([["c", "d"]]);
    expect(problems[0]).toMatchObject({ line: 1, reason: "characters after a closing quote" });
  });

  it("drops a record over the size limit without holding it, and finds the next one", () => {
    const big = "x".repeat(5000);
    const text = `"h1","h2"\n"a","${big}"\n"b","ok"\n`;
    const chunks = text.match(/[\s\S]{1,100}/g)!;
    const { records, problems } = parse(chunks, 1000);
    expect(records.map((r) => r.fields)).toEqual([
      ["h1", "h2"],
      ["b", "ok"],
    ]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 2, reason: expect.stringContaining("longer than 1000") });
  });

  it("reads a 10 MB value arriving in small chunks", () => {
    const big = "y".repeat(10 * 1024 * 1024);
    const text = `"h"\n"${big}"\n`;
    const p: string[] = [];
    for (let i = 0; i < text.length; i += 65536) p.push(text.slice(i, i + 65536));
    const { records, problems } = parse(p);
    expect(problems).toEqual([]);
    expect(records[1].fields[0].length).toBe(big.length);
  });
});
