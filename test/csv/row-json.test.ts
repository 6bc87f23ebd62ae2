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

  it("encodes an empty header as an empty object", () => {
    expect(rowJsonEncoder([])([])).toBe("{}");
  });
});
