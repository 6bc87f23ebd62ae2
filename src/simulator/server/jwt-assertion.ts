import { createPublicKey, type KeyObject, verify } from "node:crypto";

/** Why an assertion is refused, in the token endpoint's words. */
export interface AssertionRejection {
  error: "invalid_grant" | "invalid_client_id";
  description: string;
}

export interface AssertionPolicy {
  /** The connected app's certificate (or its public key). */
  publicKey: KeyObject;
  clientId: string;
  /** The one user the app is pre-authorized for. */
  username: string;
  audiences: readonly string[];
  /** Wall-clock epoch ms: an assertion's exp is about real time, whatever the simulated clock says. */
  wallNow: () => number;
}

export function publicKeyFrom(pem: string): KeyObject {
  // createPublicKey takes an X.509 certificate as well as a bare public key.
  return createPublicKey(pem);
}

const INVALID_ASSERTION: AssertionRejection = { error: "invalid_grant", description: "invalid assertion" };

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks a JWT bearer assertion the way the token endpoint does: RS256 signature against the app's
 * certificate, iss = the consumer key, aud = a login host (or this server), exp in the future,
 * sub = a user the app is pre-authorized for. Returns the subject, or why it is refused.
 */
export function checkAssertion(
  assertion: string,
  policy: AssertionPolicy,
): { username: string } | AssertionRejection {
  const parts = assertion.split(".");
  if (parts.length !== 3) return INVALID_ASSERTION;
  const [headerPart, claimsPart, signaturePart] = parts;
  const header = decodeJson(headerPart);
  const claims = decodeJson(claimsPart);
  if (header === undefined || claims === undefined || header.alg !== "RS256") return INVALID_ASSERTION;

  if (claims.iss !== policy.clientId)
    return { error: "invalid_client_id", description: "client identifier invalid" };
  const signed = verify(
    "RSA-SHA256",
    Buffer.from(`${headerPart}.${claimsPart}`),
    policy.publicKey,
    Buffer.from(signaturePart, "base64url"),
  );
  if (!signed) return INVALID_ASSERTION;

  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (
    !audiences.some((aud) => typeof aud === "string" && policy.audiences.includes(aud.replace(/\/+$/, "")))
  ) {
    return { error: "invalid_grant", description: "audience is invalid" };
  }
  if (typeof claims.exp !== "number" || claims.exp * 1000 <= policy.wallNow()) {
    return { error: "invalid_grant", description: "expired authorization code" };
  }
  if (claims.sub !== policy.username) {
    return { error: "invalid_grant", description: "user hasn't approved this consumer" };
  }
  return { username: policy.username };
}
