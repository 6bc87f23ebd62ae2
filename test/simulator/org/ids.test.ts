import { describe, expect, it } from "vitest";
import { caseSafeSuffix, toCaseSafeId } from "../../../src/salesforce/ids.js";
import { base62, recordId } from "../../../src/simulator/org/ids.js";

describe("Salesforce ids", () => {
  it("computes the case-safe suffix of published ids", () => {
    expect(toCaseSafeId("0055j00000AT6I1")).toBe("0055j00000AT6I1AAL");
    expect(toCaseSafeId("0055j000000utlP")).toBe("0055j000000utlPAAQ");
    expect(caseSafeSuffix("00D000000000000")).toBe("EAA");
    expect(caseSafeSuffix("001000000000000")).toBe("AAA");
    expect(caseSafeSuffix("ABCDEABCDEABCDE")).toBe("555");
  });

  it("refuses an id of the wrong length", () => {
    expect(() => toCaseSafeId("005")).toThrow(/15 characters/);
  });

  it("builds record ids whose string order is their serial order", () => {
    const a = recordId("0AT", "5j", 61);
    const b = recordId("0AT", "5j", 62);
    expect(a).toBe("0AT5j000000000z");
    expect(a.length).toBe(15);
    expect(a < b).toBe(true);
    expect(base62(62 ** 3, 4)).toBe("1000");
    expect(() => base62(62 ** 4, 4)).toThrow();
  });
});
