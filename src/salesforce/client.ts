import type { Readable } from "node:stream";
import { request, type Dispatcher } from "undici";
import type { Logger } from "../observability/logger.js";
import { ExplainedError } from "../core/errors.js";
import {
  type AccessToken,
  SalesforceSession,
  type SalesforceCredentials,
  type SessionInfo,
} from "./auth/session.js";
import { apiError, ERROR_BODY_LIMIT, SalesforceApiError, SalesforceTruncatedAnswerError } from "./errors.js";
import { createDispatcher } from "../http/dispatcher.js";
import { toNetworkError } from "../http/network-error.js";
import { header, readCapped, retryAfterMs } from "../http/response.js";
import { ApiUsageGovernor, type ApiUsage, type LimitInfo } from "./limits.js";
import { logFileBody } from "./log-file-body.js";
import { OrgClock } from "./org-clock.js";
import type { PubSubAuth } from "./pubsub/client.js";
import { DEFAULT_RETRY, withRetries, type RetryOptions } from "./retry.js";

export const DEFAULT_API_VERSION = "64.0";

export interface SalesforceClientOptions {
  credentials: SalesforceCredentials;
  /** REST API version, e.g. "64.0". */
  apiVersion?: string;
  /** Shared outbound dispatcher (proxy, CA bundle); one from createDispatcher() when left out. */
  dispatcher?: Dispatcher;
  logger: Logger;
  retry?: Partial<RetryOptions>;
  /** Share of the API allowance (0–1) past which calls are spaced out. Default 0.8. */
  slowDownAt?: number;
  /** The pause before each call once the allowance is fully used. Default 10 s. */
  slowDownMaxDelayMs?: number;
}

export interface QueryOptions {
  /** Records per page (Salesforce accepts 200–2000 and treats it as a hint). */
  batchSize?: number;
}

export interface DescribeField {
  name: string;
  type: string;
  label?: string;
  picklistValues?: { value: string; label?: string; active: boolean }[];
}

export interface DescribeResult {
  name: string;
  fields: DescribeField[];
  [key: string]: unknown;
}

export type OrgLimits = Record<string, { Max: number; Remaining: number }>;

export interface ApiVersion {
  version: string;
  label: string;
  url: string;
}

interface QueryPage<T> {
  totalSize?: unknown;
  done?: unknown;
  nextRecordsUrl?: unknown;
  records?: T[];
}

const SOBJECT_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * A small Salesforce REST client for log collection: OAuth (client credentials or JWT bearer) with
 * re-authentication, paginated SOQL, streamed blob downloads, retries with backoff, and API usage
 * tracking. Every call shares one token, one dispatcher and one usage governor.
 */
export class SalesforceClient {
  readonly apiVersion: string;
  private readonly session: SalesforceSession;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly governor: ApiUsageGovernor;
  private readonly clock: OrgClock;
  private readonly retry: RetryOptions;
  private readonly logger: Logger;
  private readonly baseUrl: string;
  private requestsSent = 0;

  constructor(options: SalesforceClientOptions) {
    this.apiVersion = options.apiVersion ?? DEFAULT_API_VERSION;
    if (!/^\d+\.\d$/.test(this.apiVersion)) {
      throw new Error(`The Salesforce API version must look like "64.0", got "${this.apiVersion}".`);
    }
    this.logger = options.logger;
    // Keys left undefined (an unset config value) keep their default.
    const retry = Object.entries(options.retry ?? {}).filter(([, v]) => v !== undefined);
    this.retry = { ...DEFAULT_RETRY, ...Object.fromEntries(retry) };
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? createDispatcher();
    this.baseUrl = new URL(options.credentials.url).origin;
    this.session = new SalesforceSession({
      credentials: options.credentials,
      dispatcher: this.dispatcher,
      retry: this.retry,
      logger: this.logger,
    });
    this.clock = new OrgClock(this.logger);
    this.governor = new ApiUsageGovernor({
      slowDownAt: options.slowDownAt,
      maxDelayMs: options.slowDownMaxDelayMs,
      logger: this.logger,
    });
  }

  /** The org's API usage from the latest `Sforce-Limit-Info` header seen. */
  get apiUsage(): ApiUsage | undefined {
    return this.governor.usage;
  }

  /** REST API requests sent since the client was created, retries included (the token grant is not one). */
  get apiRequests(): number {
    return this.requestsSent;
  }

  /** Org and per-app usage from the latest `Sforce-Limit-Info` header seen. */
  get limitInfo(): LimitInfo {
    return this.governor.limitInfo;
  }

  /**
   * The org's current time, from the `Date` header of its latest answer (this host's time until
   * one has come): what the org's data is measured against.
   */
  orgNow(): Date {
    return this.clock.now();
  }

  /** Runs the token grant now and tells what session it opened (for `sfevents check`). */
  async authenticate(): Promise<SessionInfo> {
    const { accessToken: _, ...info } = await this.session.authenticate();
    return info;
  }

  /**
   * What a Pub/Sub API call carries: the session's token, its instance URL and the org id (the
   * tenant). The token goes nowhere else: keep the result out of logs.
   */
  async pubSubAuth(): Promise<PubSubAuth> {
    return pubSubAuthOf(await this.session.token());
  }

  /** After the Pub/Sub API refused `refusedToken`: the same session renewal a 401 triggers. */
  async renewPubSubAuth(refusedToken: string): Promise<PubSubAuth> {
    return pubSubAuthOf(await this.session.renew(refusedToken));
  }

  /**
   * Runs a SOQL query and yields its records page by page, following `nextRecordsUrl` until
   * Salesforce says `done` (a query without results yields one empty page). Each page is retried
   * on its own. Read pages promptly: the server-side cursor expires when left idle, and an expired
   * one fails with INVALID_QUERY_LOCATOR, after which the caller runs the query again. An answer
   * done with fewer records than its totalSize fails with SalesforceTruncatedAnswerError before
   * its last page is yielded, rather than ending as if it were whole.
   */
  async *query<T>(soql: string, options: QueryOptions = {}): AsyncGenerator<T[]> {
    const headers: Record<string, string> = {};
    if (options.batchSize !== undefined) headers["sforce-query-options"] = `batchSize=${options.batchSize}`;
    let path = `${this.dataPath}/query?q=${encodeURIComponent(soql)}`;
    let received = 0;
    for (;;) {
      const page = await this.getJson<QueryPage<T>>(path, headers);
      if (!Array.isArray(page.records)) {
        throw new Error(
          `Salesforce answered GET ${pathOnly(path)} without a records array; check that salesforce.url is the org's My Domain URL.`,
        );
      }
      received += page.records.length;
      if (page.done === true && typeof page.totalSize === "number" && received < page.totalSize) {
        throw new SalesforceTruncatedAnswerError(`GET ${pathOnly(path)}`, received, page.totalSize);
      }
      yield page.records;
      if (page.done === true) return;
      if (typeof page.nextRecordsUrl !== "string") {
        throw new Error(
          `Salesforce answered GET ${pathOnly(path)} with done=${String(page.done)} but no nextRecordsUrl; the listing cannot be completed.`,
        );
      }
      path = page.nextRecordsUrl;
    }
  }

  describe(sobject: string): Promise<DescribeResult> {
    if (!SOBJECT_NAME.test(sobject)) throw new Error(`"${sobject}" is not an sObject name.`);
    return this.getJson<DescribeResult>(`${this.dataPath}/sobjects/${sobject}/describe`);
  }

  /** The org's limits (`DailyApiRequests`, …); needs the View Setup and Configuration permission. */
  limits(): Promise<OrgLimits> {
    return this.getJson<OrgLimits>(`${this.dataPath}/limits`);
  }

  /** The API versions the org serves. Needs no token, and costs no API call. */
  versions(): Promise<ApiVersion[]> {
    return this.call("/services/data/", { accept: "application/json" }, false, readJson<ApiVersion[]>);
  }

  /**
   * Starts downloading a blob (an EventLogFile's `LogFile` path) with gzip requested, and returns
   * its decoded bytes as a stream once the response headers are in. Failures before that point are
   * retried here; a failure after it (a reset, a truncated gzip body) fails the stream with a
   * SalesforceDownloadError and is NOT retried, because rows already read were handed out: the
   * caller restarts the file. Destroy the stream, or abort `signal`, to abandon a download.
   */
  download(path: string, signal?: AbortSignal): Promise<Readable> {
    return this.call(
      path,
      { "accept-encoding": "gzip, deflate" },
      true,
      async (res) => logFileBody(res.body, header(res.headers, "content-encoding"), pathOnly(path), signal),
      signal,
    );
  }

  /** Closes the dispatcher if this client created it. */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private get dataPath(): string {
    return `/services/data/v${this.apiVersion}`;
  }

  private getJson<T>(path: string, headers: Record<string, string> = {}): Promise<T> {
    return this.call(path, { ...headers, accept: "application/json" }, true, readJson<T>);
  }

  /**
   * One GET with everything around it: pacing under high API usage, retries with backoff, and one
   * new token after a 401 INVALID_SESSION_ID. `handle` turns a 2xx response into the result;
   * errors it throws are retried like any other.
   */
  private call<T>(
    path: string,
    headers: Record<string, string>,
    authenticated: boolean,
    handle: (res: Dispatcher.ResponseData, origin: string) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    let renewed = false;
    const send = (base: string, sent: Record<string, string>) => this.send(base, path, sent, signal);
    const attempt = async () => {
      if (!authenticated) return handle(await send(this.baseUrl, headers), this.baseUrl);
      await this.governor.pace();
      const token = await this.session.token();
      const authorized = { ...headers, authorization: `Bearer ${token.accessToken}` };
      try {
        return await handle(await send(token.instanceUrl, authorized), token.instanceUrl);
      } catch (err) {
        if (renewed || !(err instanceof SalesforceApiError) || err.errorCode !== "INVALID_SESSION_ID")
          throw err;
        renewed = true;
        const fresh = await this.session.renew(token.accessToken);
        authorized.authorization = `Bearer ${fresh.accessToken}`;
        return await handle(await send(fresh.instanceUrl, authorized), fresh.instanceUrl);
      }
    };
    return withRetries(this.retry, this.logger, `GET ${pathOnly(path)}`, attempt, signal);
  }

  /** Sends a GET and returns a 2xx response; anything else becomes a typed error. */
  private async send(
    base: string,
    path: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Dispatcher.ResponseData> {
    const url = sameOrigin(base, path);
    let res: Dispatcher.ResponseData;
    this.requestsSent++;
    try {
      res = await request(url, {
        method: "GET",
        dispatcher: this.dispatcher,
        headers: { ...headers, "user-agent": "sfevents" },
        signal,
      });
    } catch (err) {
      throw toNetworkError(err, base);
    }
    this.governor.observe(header(res.headers, "sforce-limit-info"));
    this.clock.observe(header(res.headers, "date"));
    if (res.statusCode >= 200 && res.statusCode < 300) return res;
    // A download asks for gzip, and error answers come compressed too: undecoded, a 401
    // INVALID_SESSION_ID or a 403 REQUEST_LIMIT_EXCEEDED would not be recognised.
    const text = await Promise.resolve()
      .then(() => logFileBody(res.body, header(res.headers, "content-encoding"), pathOnly(path)))
      .then((body) => readCapped(body, ERROR_BODY_LIMIT))
      .catch(() => "");
    throw apiError(
      res.statusCode,
      header(res.headers, "content-type"),
      text,
      `GET ${pathOnly(path)}`,
      retryAfterMs(res.headers),
    );
  }
}

/**
 * Resolves a path against the instance URL and refuses any other origin: the bearer token must
 * never be sent to a host named in a response (a `nextRecordsUrl`, a blob path).
 */
function sameOrigin(base: string, path: string): URL {
  const url = new URL(path, base);
  if (url.origin !== new URL(base).origin) {
    throw new Error(`Refusing to send the Salesforce token to ${url.origin}: only ${base} is trusted.`);
  }
  return url;
}

function pubSubAuthOf(token: AccessToken): PubSubAuth {
  if (token.orgId === undefined) {
    throw new ExplainedError(
      "The Pub/Sub API needs the org id, and Salesforce's token answer had no identity URL (id) to read it from; check that salesforce.url is the org's My Domain URL.",
      "stop",
    );
  }
  return { accessToken: token.accessToken, instanceUrl: token.instanceUrl, tenantId: token.orgId };
}

function pathOnly(path: string): string {
  const q = path.indexOf("?");
  return q === -1 ? path : path.slice(0, q);
}

async function readJson<T>(res: Dispatcher.ResponseData, origin: string): Promise<T> {
  try {
    return (await res.body.json()) as T;
  } catch (err) {
    const network = toNetworkError(err, origin);
    if (network !== err) throw network;
    throw new Error(`Salesforce sent a response that is not valid JSON (${(err as Error).message}).`);
  }
}
