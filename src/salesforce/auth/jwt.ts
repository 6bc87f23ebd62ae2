import { createPrivateKey, sign, type KeyObject } from "node:crypto";
import { SalesforceAuthError } from "../errors.js";

export interface JwtBearerClaims {
  /** The connected app's consumer key. */
  clientId: string;
  /** The Salesforce username the token is issued for. */
  username: string;
  /** https://login.salesforce.com, https://test.salesforce.com, or an Experience Cloud site URL. */
  audience: string;
}

/** How long an assertion stays valid: Salesforce accepts a few minutes at most. */
const ASSERTION_LIFETIME_S = 180;

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

/** Parses a PEM private key once, with an error that says which setting is wrong. */
export function loadPrivateKey(pem: string): KeyObject {
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== "rsa") throw new Error(`a ${key.asymmetricKeyType} key`);
    return key;
  } catch (err) {
    throw new SalesforceAuthError(
      "invalid_private_key",
      `the JWT private key cannot be used (${(err as Error).message})`,
      "Point salesforce.jwt.private_key_file at the PEM RSA private key whose certificate is uploaded to the connected app.",
    );
  }
}

/** Builds the RS256-signed assertion of the OAuth 2.0 JWT bearer grant. */
export function jwtBearerAssertion(claims: JwtBearerClaims, key: KeyObject, nowMs = Date.now()): string {
  const header = base64url(JSON.stringify({ alg: "RS256" }));
  const payload = base64url(
    JSON.stringify({
      iss: claims.clientId,
      sub: claims.username,
      aud: claims.audience,
      exp: Math.floor(nowMs / 1000) + ASSERTION_LIFETIME_S,
    }),
  );
  const signature = sign("RSA-SHA256", Buffer.from(`${header}.${payload}`), key);
  return `${header}.${payload}.${base64url(signature)}`;
}

/**
 * The audience Salesforce expects when none is configured: the sandbox login host for sandbox
 * My Domains, the production one otherwise.
 */
export function defaultAudience(url: string): string {
  const host = new URL(url).hostname;
  return host === "test.salesforce.com" || host.endsWith(".sandbox.my.salesforce.com")
    ? "https://test.salesforce.com"
    : "https://login.salesforce.com";
}
