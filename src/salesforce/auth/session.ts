import type { KeyObject } from "node:crypto";
import { request, type Dispatcher } from "undici";
import { secrets, type Logger } from "../../observability/logger.js";
import { apiError, ERROR_BODY_LIMIT, SalesforceAuthError } from "../errors.js";
import { toNetworkError } from "../../http/network-error.js";
import { header, readCapped, retryAfterMs } from "../../http/response.js";
import { withRetries, type RetryOptions } from "../retry.js";
import { defaultAudience, jwtBearerAssertion, loadPrivateKey } from "./jwt.js";
import { tokenError, type GrantType } from "./token-errors.js";

export interface SalesforceCredentials {
  /** The org's My Domain URL; the token endpoint is `<url>/services/oauth2/token`. */
  url: string;
  /** The connected app's consumer key. */
  clientId: string;
  /** The consumer secret, for the client-credentials grant. */
  clientSecret?: string;
  /** For the JWT bearer grant instead: the user, the PEM private key, and the audience. */
  jwt?: { username: string; privateKey: string; audience?: string };
}

/** What a token tells about the session, without the token itself (safe to print). */
export interface SessionInfo {
  grant: GrantType;
  /** Where API calls go: the token response's `instance_url`. */
  instanceUrl: string;
  /** The identity URL (`…/id/<orgId>/<userId>`), when Salesforce sent it. */
  identityUrl?: string;
  orgId?: string;
  userId?: string;
  /** Granted OAuth scopes, space-separated. */
  scope?: string;
  issuedAt?: Date;
}

export interface AccessToken extends SessionInfo {
  accessToken: string;
}

interface TokenResponse {
  access_token?: unknown;
  instance_url?: unknown;
  id?: unknown;
  scope?: unknown;
  issued_at?: unknown;
}

export interface SalesforceSessionOptions {
  credentials: SalesforceCredentials;
  dispatcher: Dispatcher;
  retry: RetryOptions;
  logger: Logger;
}

/**
 * Holds the access token. Neither grant issues a refresh token, so an expired session is renewed
 * by running the grant again; callers that hit the same expired token at once share one grant.
 */
export class SalesforceSession {
  private current: Promise<AccessToken> | undefined;
  private readonly tokenUrl: string;
  private readonly grant: GrantType;
  private readonly privateKey: KeyObject | undefined;

  constructor(private readonly options: SalesforceSessionOptions) {
    const { credentials } = options;
    if ((credentials.clientSecret === undefined) === (credentials.jwt === undefined)) {
      throw new Error(
        "Salesforce credentials need exactly one of a client secret (client-credentials flow) or a JWT key (JWT bearer flow).",
      );
    }
    this.tokenUrl = new URL("/services/oauth2/token", credentials.url).href;
    this.grant = credentials.jwt ? "jwt_bearer" : "client_credentials";
    secrets.add(credentials.clientSecret);
    secrets.add(credentials.jwt?.privateKey);
    this.privateKey = credentials.jwt ? loadPrivateKey(credentials.jwt.privateKey) : undefined;
  }

  /** The cached token, or a new one when there is none yet. */
  token(): Promise<AccessToken> {
    if (this.current === undefined) this.current = this.runGrant();
    return this.current;
  }

  /** Runs the grant now, replacing any cached token (for an explicit check of the credentials). */
  authenticate(): Promise<AccessToken> {
    this.current = this.runGrant();
    return this.current;
  }

  /**
   * Called after a 401 INVALID_SESSION_ID with the token that was refused. If another caller has
   * already replaced that token, the replacement is returned instead of running the grant again.
   */
  async renew(refused: string): Promise<AccessToken> {
    const pending = this.current;
    if (pending !== undefined) {
      const latest = await pending.catch(() => undefined);
      if (latest !== undefined && latest.accessToken !== refused) return latest;
      // Another caller may have started a grant while we awaited.
      if (this.current !== pending) return this.token();
    }
    this.options.logger.info(
      { grant: this.grant },
      "Salesforce session expired; requesting a new access token",
    );
    return this.authenticate();
  }

  private runGrant(): Promise<AccessToken> {
    const attempt = withRetries(this.options.retry, this.options.logger, `POST ${this.tokenUrl}`, () =>
      this.requestToken(),
    );
    // A failed grant is not cached: the next caller tries again.
    attempt.catch(() => {
      if (this.current === attempt) this.current = undefined;
    });
    return attempt;
  }

  private form(): URLSearchParams {
    const { credentials } = this.options;
    if (credentials.jwt && this.privateKey) {
      const assertion = jwtBearerAssertion(
        {
          clientId: credentials.clientId,
          username: credentials.jwt.username,
          audience: credentials.jwt.audience ?? defaultAudience(credentials.url),
        },
        this.privateKey,
      );
      secrets.add(assertion);
      return new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion });
    }
    return new URLSearchParams({
      grant_type: "client_credentials",
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret ?? "",
    });
  }

  private async requestToken(): Promise<AccessToken> {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(this.tokenUrl, {
        method: "POST",
        dispatcher: this.options.dispatcher,
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: this.form().toString(),
      });
    } catch (err) {
      throw toNetworkError(err, new URL(this.tokenUrl).origin);
    }
    const { statusCode, headers, body } = response;
    const text = await readCapped(body, ERROR_BODY_LIMIT).catch((err) => {
      throw toNetworkError(err, new URL(this.tokenUrl).origin);
    });
    if (statusCode === 200) return this.parseToken(text);
    if (statusCode >= 500 || statusCode === 429 || statusCode === 420) {
      // Passing trouble at Salesforce's end, not a verdict on the credentials: worth retrying.
      throw apiError(
        statusCode,
        header(headers, "content-type"),
        text,
        `POST ${this.tokenUrl}`,
        retryAfterMs(headers),
      );
    }
    let parsed: { error?: unknown; error_description?: unknown } | undefined;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed?.error === "string") {
      const description = typeof parsed.error_description === "string" ? parsed.error_description : "";
      throw tokenError(this.grant, parsed.error, description);
    }
    throw new SalesforceAuthError(
      "unexpected_response",
      `HTTP ${statusCode} from ${this.tokenUrl} without an OAuth error`,
      "Check that salesforce.url is the org's My Domain URL (https://yourdomain.my.salesforce.com).",
    );
  }

  private parseToken(text: string): AccessToken {
    let body: TokenResponse;
    try {
      body = JSON.parse(text) as TokenResponse;
    } catch {
      body = {};
    }
    if (typeof body.access_token !== "string" || body.access_token === "") {
      throw new SalesforceAuthError(
        "unexpected_response",
        `the answer from ${this.tokenUrl} holds no access token`,
        "Check that salesforce.url is the org's My Domain URL (https://yourdomain.my.salesforce.com).",
      );
    }
    secrets.add(body.access_token);
    const token: AccessToken = {
      grant: this.grant,
      accessToken: body.access_token,
      instanceUrl: instanceUrl(body.instance_url) ?? new URL(this.options.credentials.url).origin,
    };
    if (typeof body.id === "string") {
      token.identityUrl = body.id;
      const ids = /\/id\/([^/]+)\/([^/?#]+)/.exec(body.id);
      if (ids) [token.orgId, token.userId] = [ids[1], ids[2]];
    }
    if (typeof body.scope === "string") token.scope = body.scope;
    const issued = Number(body.issued_at);
    if (Number.isFinite(issued) && issued > 0) token.issuedAt = new Date(issued);
    this.options.logger.debug(
      { grant: this.grant, instanceUrl: token.instanceUrl, orgId: token.orgId },
      "Salesforce access token issued",
    );
    return token;
  }
}

/** `instance_url` if it is a usable http(s) origin; the API calls go there. */
function instanceUrl(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.origin : undefined;
  } catch {
    return undefined;
  }
}
