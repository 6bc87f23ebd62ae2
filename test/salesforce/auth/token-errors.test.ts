import { describe, expect, it } from "vitest";
import { type GrantType, tokenError } from "../../../src/salesforce/auth/token-errors.js";

describe("token error advice", () => {
  // The refusals whose fix is in the app's settings: since Spring '26 a new org's app is an External
  // Client App, so advice that says only "connected app" sends its admin looking for the wrong page.
  const namingTheApp: [GrantType, string, string][] = [
    ["client_credentials", "invalid_grant", "no client credentials user enabled"],
    ["client_credentials", "unsupported_grant_type", "grant type not supported"],
    ["jwt_bearer", "invalid_grant", "user hasn't approved this consumer"],
    ["jwt_bearer", "invalid_grant", "invalid assertion"],
    ["client_credentials", "some_new_error", "something Salesforce added later"],
  ];
  for (const [grant, error, description] of namingTheApp) {
    it(`names the External Client App for ${error} / "${description}"`, () => {
      const { advice } = tokenError(grant, error, description);
      const named = /External Client App('s)? \(or connected app('s)?\)/;
      expect(advice).toMatch(named);
      expect(advice.replace(named, "")).not.toMatch(/connected app/i);
    });
  }
});
