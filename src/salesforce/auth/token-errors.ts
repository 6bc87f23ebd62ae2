import { SalesforceAuthError } from "../errors.js";

export type GrantType = "client_credentials" | "jwt_bearer";

interface Rule {
  error?: string;
  /** A fragment of `error_description`, matched case-insensitively. */
  says?: string;
  grant?: GrantType;
  advice: string;
}

/**
 * What a Salesforce admin should do about each token error, most specific first. The descriptions
 * are Salesforce's own wording; the first matching rule wins.
 */
const RULES: Rule[] = [
  {
    says: "request not supported on this domain",
    advice:
      "Set salesforce.url to the org's My Domain URL (https://yourdomain.my.salesforce.com), not login.salesforce.com, test.salesforce.com or a setup domain.",
  },
  {
    says: "no client credentials user enabled",
    advice:
      "In the External Client App's (or connected app's) policies, enable the Client Credentials Flow and set its Run As user (an API-enabled user with View Event Log Files).",
  },
  {
    error: "invalid_client_id",
    advice:
      "The consumer key (salesforce.client_id) is wrong, or the app is new: Salesforce takes up to 10 minutes to accept a new app's key.",
  },
  {
    error: "invalid_client",
    advice:
      "The consumer secret (salesforce.client_secret) is wrong; copy it again from the app's consumer details.",
  },
  {
    error: "unsupported_grant_type",
    grant: "client_credentials",
    advice:
      "Enable the Client Credentials Flow in the External Client App's (or connected app's) OAuth settings and in its policies.",
  },
  {
    error: "unsupported_grant_type",
    grant: "jwt_bearer",
    advice:
      "Enable the JWT Bearer Flow for the app and upload the certificate of the signing key ('Use digital signatures').",
  },
  {
    says: "user hasn't approved this consumer",
    advice:
      "In the External Client App's (or connected app's) policies, set Permitted Users to 'Admin approved users are pre-authorized' and add the user's profile or a permission set.",
  },
  {
    says: "audience is invalid",
    advice:
      "Set salesforce.jwt.audience to https://login.salesforce.com for production or https://test.salesforce.com for sandboxes.",
  },
  {
    says: "expired",
    grant: "jwt_bearer",
    advice:
      "The signed assertion was already expired when Salesforce read it: check this machine's clock (NTP).",
  },
  {
    says: "invalid assertion",
    advice:
      "The assertion's signature did not verify: the private key must match the certificate uploaded to the External Client App (or connected app).",
  },
  {
    says: "user is not admin approved",
    advice:
      "Pre-authorize the user for the app: add their profile or a permission set in the app's policies.",
  },
  {
    says: "ip restricted",
    advice:
      "Salesforce refused this machine's IP address or the login hours: relax the app's IP policy or the profile's IP ranges.",
  },
  {
    error: "inactive_user",
    advice: "The user the token is issued for is deactivated; activate it or pick another Run As user.",
  },
  {
    error: "inactive_org",
    advice: "The org is locked, deleted or its trial expired; check salesforce.url points at a live org.",
  },
  {
    error: "rate_limit_exceeded",
    advice: "Too many token requests in a short time; wait a few minutes before starting again.",
  },
  {
    says: "authentication failure",
    advice:
      "Check the consumer key and secret, the Run As user, and the app's IP relaxation and permitted users policies.",
  },
];

function adviceFor(grant: GrantType, error: string, description: string): string {
  const said = description.toLowerCase();
  const rule = RULES.find(
    (r) =>
      (r.error === undefined || r.error === error) &&
      (r.says === undefined || said.includes(r.says)) &&
      (r.grant === undefined || r.grant === grant),
  );
  return (
    rule?.advice ??
    "Check the External Client App's (or connected app's) OAuth settings (enabled flow, consumer key and secret, permitted users) in Salesforce Setup."
  );
}

/** The typed, fatal error for a refused token request. */
export function tokenError(grant: GrantType, error: string, description: string): SalesforceAuthError {
  return new SalesforceAuthError(error, description, adviceFor(grant, error, description));
}
