import { describe, expect, it } from "vitest";
import { rowJsonEncoder } from "../../src/csv/row-json.js";

describe("rowJsonEncoder", () => {
  it("writes exactly what JSON.stringify writes for the same object, keys in header order", () => {
    const header = ["EVENT_TYPE", "MESSAGE", 'WEIRD "KEY"', "EMOJI", "LONE", "BACKSLASH", "EMPTY"];
    const values = ["Login", 'a "quoted"\nline\u0000\t', "x", "😀 ok", "\ud800", "C:\\path", ""];
    const text = rowJsonEncoder(header)(values);
    const expected = JSON.stringify(Object.fromEntries(header.map((h, i) => [h, values[i]])));
    expect(text).toBe(expected);
  });

  it("writes a row the reader called plain as JSON.stringify does, without checking each value", () => {
    const header = ["EVENT_TYPE", 'WEIRD "KEY"', "EMOJI", "EMPTY"];
    const values = ["Login", "x", "😀 ok", ""];
    const expected = JSON.stringify(Object.fromEntries(header.map((h, i) => [h, values[i]])));
    expect(rowJsonEncoder(header)(values, true)).toBe(expected);
    expect(rowJsonEncoder(["ONLY"])(["v"], true)).toBe('{"ONLY":"v"}');
  });

  it("encodes an empty header as an empty object", () => {
    expect(rowJsonEncoder([])([])).toBe("{}");
  });
});
