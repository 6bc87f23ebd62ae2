import { describe, expect, it } from "vitest";
import { passwordOf, shownUrl, withoutPassword } from "../../src/state/postgres/url.js";

describe("a PostgreSQL URL as sfevents shows it", () => {
  it("leaves the password out, from the user part or a password parameter", () => {
    expect(shownUrl("postgres://sfevents:p%40ss-w0rd@db.example.com:5432/state?sslmode=require")).toBe(
      "postgres://sfevents@db.example.com:5432/state?sslmode=require",
    );
    expect(shownUrl("postgresql://sfevents@db.example.com/state?password=p-ss-w0rd&sslmode=require")).toBe(
      "postgresql://sfevents@db.example.com/state?sslmode=require",
    );
    expect(shownUrl("not a url: secret-inside")).not.toContain("secret-inside");
  });

  it("strikes the password from any text, as written or decoded", () => {
    const url = "postgres://sfevents:p%40ss-w0rd@db.example.com/state";
    expect(passwordOf(url)).toBe("p@ss-w0rd");
    expect(withoutPassword(`failed for p@ss-w0rd and ${url}`, url)).toBe(
      "failed for [REDACTED] and postgres://sfevents:[REDACTED]@db.example.com/state",
    );
    expect(withoutPassword("nothing to strike", "postgres://sfevents@db/state")).toBe("nothing to strike");
  });
});
