import { createHmac } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { type AssertionPolicy, checkAssertion } from "./jwt-assertion.js";
import { oauthErrorBody } from "./error-bodies.js";
import type { OrgIdentity, Sessions } from "./sessions.js";

const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

export interface TokenEndpointOptions {
  clientId: string;
  clientSecret: string;
  /** Runs as login.salesforce.com rather than the org's My Domain. */
  loginHost: boolean;
  clientCredentialsUser: boolean;
  /** Absent: the app has no certificate, so every JWT assertion is refused. */
  jwt?: Omit<AssertionPolicy, "clientId" | "username">;
  identity: OrgIdentity;
  sessions: Sessions;
  /** This server's base URL: the instance_url of every token. */
  instanceUrl: string;
}

export interface TokenAnswer {
  status: number;
  body: string;
}

const refuse = (error: string, description: string, status = 400): TokenAnswer => ({
  status,
  body: oauthErrorBody(error, description),
});

/** client_id and client_secret from HTTP Basic, which takes precedence over form parameters. */
function clientCredentials(req: IncomingMessage, form: URLSearchParams): { id?: string; secret?: string } {
  const match = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  if (match !== null) {
    const decoded = Buffer.from(match[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon !== -1) {
      return {
        id: decodeURIComponent(decoded.slice(0, colon)),
        secret: decodeURIComponent(decoded.slice(colon + 1)),
      };
    }
  }
  return { id: form.get("client_id") ?? undefined, secret: form.get("client_secret") ?? undefined };
}

/**
 * POST /services/oauth2/token: the client-credentials and JWT bearer grants, with the errors
 * Salesforce gives for each documented mistake, in the order it checks them.
 */
export function answerTokenRequest(
  req: IncomingMessage,
  formText: string,
  options: TokenEndpointOptions,
): TokenAnswer {
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  const form =
    type === "application/x-www-form-urlencoded" ? new URLSearchParams(formText) : new URLSearchParams();
  const grant = form.get("grant_type");

  if (grant === "client_credentials") {
    // The grant names no user, so a generic login host cannot tell which org it is for.
    if (options.loginHost) return refuse("invalid_grant", "request not supported on this domain");
    const client = clientCredentials(req, form);
    if (client.id !== options.clientId) return refuse("invalid_client_id", "client identifier invalid");
    if (client.secret !== options.clientSecret) return refuse("invalid_client", "invalid client credentials");
    if (!options.clientCredentialsUser) return refuse("invalid_grant", "no client credentials user enabled");
    return grantToken(options.identity.runAsUser, options);
  }

  if (grant === JWT_BEARER) {
    const assertion = form.get("assertion");
    if (options.jwt === undefined || assertion === null) return refuse("invalid_grant", "invalid assertion");
    const runAs = options.identity.runAsUser;
    const checked = checkAssertion(assertion, {
      ...options.jwt,
      clientId: options.clientId,
      username: runAs.username,
    });
    if ("error" in checked) return refuse(checked.error, checked.description);
    return grantToken(runAs, options);
  }

  return refuse("unsupported_grant_type", "grant type not supported");
}

function grantToken(user: { id18: string; username: string }, options: TokenEndpointOptions): TokenAnswer {
  const { token, session } = options.sessions.open(user);
  const id = `https://login.salesforce.com/id/${options.identity.orgId18}/${user.id18}`;
  const issuedAt = String(session.issuedAt);
  // As Salesforce documents it: HMAC-SHA256 of id + issued_at, keyed with the consumer secret.
  const signature = createHmac("sha256", options.clientSecret)
    .update(id + issuedAt)
    .digest("base64");
  return {
    status: 200,
    body: JSON.stringify({
      access_token: token,
      signature,
      scope: "api",
      instance_url: options.instanceUrl,
      id,
      token_type: "Bearer",
      issued_at: issuedAt,
    }),
  };
}
