import { describe, expect, it } from "vitest";
import { CsvParser, type CsvProblem, MAX_RECORD_CHARS } from "../../src/csv/parser.js";

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
  it("calls a record plain only when no value holds what JSON escapes or U+FFFD", () => {
    const text =
      '"a","b"\n"say ""hi""","x"\n"C:\\dir","x"\n"tab\t","x"\n"two\nlines","x"\n' +
      '"\ud800","x"\n"\ufffd","x"\n"😀","x"\n"",""\n';
    const plainOf = (chunks: string[]) => {
      const plain: boolean[] = [];
      const p = new CsvParser({ record: (_, __, isPlain) => plain.push(isPlain), problem: () => {} });
      for (const c of chunks) p.write(c);
      p.end();
      return plain;
    };
    expect(plainOf([text])).toEqual([true, false, false, false, false, false, false, false, true]);
    // A record cut by a chunk's end is not all in one text: never called plain, whatever it holds.
    const cut = text.indexOf('"a"') + 2;
    expect(plainOf([text.slice(0, cut), text.slice(cut)])[0]).toBe(false);
  });

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

  it("reports a record over the limit with its size and line, quoted, unquoted or first, and reads on", () => {
    const quoted = `"a","${"x".repeat(1500)}"`;
    const unquoted = `b,${"y".repeat(1500)}`;
    const first = `"h1 ${"z".repeat(700)}\n${"z".repeat(700)}","h2"`;
    const text = `${first}\r\n"h","ok"\n${quoted}\n"b","ok"\r\n${unquoted}\r\n"c","two\nlines"\n"d",${"w".repeat(996)}`;
    const refused: [string, number][] = [
      [first, 1],
      [quoted, 4],
      [unquoted, 6],
    ];
    for (const chunks of [...splits(text), text.match(/[\s\S]{1,64}/g)!]) {
      const { records, problems } = parse(chunks, 1000);
      expect(records).toEqual([
        { fields: ["h", "ok"], line: 3 },
        { fields: ["b", "ok"], line: 5 },
        { fields: ["c", "two\nlines"], line: 7 },
        { fields: ["d", "w".repeat(996)], line: 9 }, // 1000 characters: the limit is inclusive
      ]);
      expect(problems).toEqual(
        refused.map(([record, line]) => ({
          line,
          reason: `record of ${record.length} characters, longer than 1000 characters (the reader's limit)`,
          excerpt: record.slice(0, 200),
          chars: record.length,
        })),
      );
    }
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

  // Before the fix a value straddling chunks was re-joined and re-scanned on every chunk: 32 MB took
  // 25 s, so these would take minutes. The timeout is the guard; elapsed time is not asserted.
  for (const [kind, open, close] of [
    ["quoted", '"', '"'],
    ["unquoted", "", ""],
  ]) {
    it(`reads a 60 MB ${kind} value arriving in 64 KiB chunks, in time linear in its size`, {
      timeout: 30_000,
    }, async () => {
      const size = 60 * 1000 * 1000;
      const { records, problems } = await feed([
        '"h1","h2"\n',
        `"a",${open}`,
        ...filler("v", size),
        `${close}\n"b","c"`,
      ]);
      expect(problems).toEqual([]);
      expect(records.map((r) => [r.fields[0], r.fields[1].length, r.line])).toEqual([
        ["h1", 2, 1],
        ["a", size, 2],
        ["b", 1, 3],
      ]);
      expect(records[1].fields[1]).toBe("v".repeat(size));
    });
  }

  it("never holds more of a 300 MB record than its limit, and reads the records after it", {
    timeout: 30_000,
  }, async () => {
    const limit = 4 * 1024 * 1024;
    const size = 300 * 1000 * 1000;
    let held = 0;
    const { records, problems } = await feed(
      [
        '"h1","h2"\n"a","',
        ...filler("q", size / 2),
        '""',
        ...filler("q", size / 2 - 2),
        '"\n',
        "b,",
        ...filler("u", size),
        '\n"c","d"\n',
      ],
      limit,
      (parser) => {
        held = Math.max(held, parser.heldChars);
      },
    );
    expect(held).toBeLessThanOrEqual(limit);
    expect(held).toBeGreaterThan(limit / 2);
    expect(records).toEqual([
      { fields: ["h1", "h2"], line: 1 },
      { fields: ["c", "d"], line: 4 },
    ]);
    expect(problems.map((p) => [p.line, p.chars, p.excerpt.length])).toEqual([
      [2, size + 6, 200],
      [3, size + 2, 200],
    ]);
  });

  it("tells its limit, which stays far above Sekoia.io's 250,000 characters an event", () => {
    expect(MAX_RECORD_CHARS).toBe(64 * 1024 * 1024);
  });
});

const CHUNK_CHARS = 64 * 1024;

/** `count` copies of `char`, as 64 KiB chunks: a huge value without the whole of it in memory. */
function* filler(char: string, count: number): Generator<string> {
  const chunk = char.repeat(CHUNK_CHARS);
  for (let left = count; left > 0; left -= CHUNK_CHARS)
    yield left >= CHUNK_CHARS ? chunk : chunk.slice(0, left);
}

/**
 * Writes the chunks, handing control back to the event loop now and then so that vitest's timeout
 * can stop a parser that has become too slow; `afterWrite` sees the parser between chunks.
 */
async function feed(
  chunks: readonly string[],
  maxRecordChars?: number,
  afterWrite: (parser: CsvParser) => void = () => {},
) {
  const records: { fields: string[]; line: number }[] = [];
  const problems: CsvProblem[] = [];
  const p = new CsvParser(
    { record: (fields, line) => records.push({ fields, line }), problem: (x) => problems.push(x) },
    { maxRecordChars },
  );
  let written = 0;
  for (const chunk of chunks) {
    p.write(chunk);
    afterWrite(p);
    if (++written % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  p.end();
  return { records, problems };
}
