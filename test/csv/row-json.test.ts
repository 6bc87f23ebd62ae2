import { describe, expect, it } from "vitest";
import { rowJsonEncoder } from "../../src/csv/row-json.js";

describe("rowJsonEncoder", () => {
  it("gives the same object as JSON.stringify, keys in header order", () => {
    const header = ["EVENT_TYPE", "MESSAGE", 'WEIRD "KEY"'];
    const values = ["Login", 'a "quoted"\nline\u0000', ""];
    const text = rowJsonEncoder(header)(values);
    expect(JSON.parse(text)).toEqual({ EVENT_TYPE: "Login", MESSAGE: values[1], 'WEIRD "KEY"': "" });
    expect(Object.keys(JSON.parse(text))).toEqual(header);
  });
});
