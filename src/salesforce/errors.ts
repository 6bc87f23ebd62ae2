import { type ErrorAction, ExplainedError } from "../core/errors.js";

/**
 * Typed errors for everything the Salesforce client can hit. Each message says what happened and,
 * when the fix is known, what to do; none ever carries a token, a secret or a private key.
 */

/** A token request refused by Salesforce. Fatal: retrying with the same credentials cannot help. */
export class SalesforceAuthError extends ExplainedError {
  constructor(
    /** The OAuth `error` code (`invalid_grant`, `invalid_client_id`, …) or one of ours. */
    readonly error: string,
    /** Salesforce's `error_description`, as sent. */
    readonly description: string,
    /** What a Salesforce admin should change. */
    readonly advice: string,
  ) {
    super(`Salesforce refused the access token request (${error}: ${description}). ${advice}`, "stop");
  }
}

/** A REST call answered with an error status; `errorCode` comes from Salesforce's JSON error body. */
export class SalesforceApiError extends ExplainedError {
  /** What to do about it, when the code says (the message's last sentence). */
  readonly advice: string | undefined;

  constructor(
    readonly status: number,
    /** `INVALID_FIELD`, `REQUEST_LIMIT_EXCEEDED`, …; `HTTP_<status>` when the body was not Salesforce JSON. */
    readonly errorCode: string,
    /** Salesforce's own message (or a description of the body it sent instead). */
    readonly detail: string,
    /** Method and path of the failed call, without the query string. */
    readonly request: string,
    /** Milliseconds from a `Retry-After` header, when the server sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(
      `${request} failed with HTTP ${status} ${errorCode}: ${detail}${adviceFor(errorCode)}`,
      apiErrorAction(status, errorCode),
    );
    this.advice = ADVICE[errorCode];
  }
}

/**
 * The org's API allowance is used up (`REQUEST_LIMIT_EXCEEDED`, daily total or concurrency). The
 * client has already waited a bounded time; the caller should end the cycle and try at the next poll.
 */
export class SalesforceRequestLimitError extends SalesforceApiError {
  constructor(status: number, detail: string, request: string, retryAfterMs?: number) {
    super(status, "REQUEST_LIMIT_EXCEEDED", detail, request, retryAfterMs);
  }
}

/**
 * A log file download broke off after its body had started (reset, truncated gzip). The client does
 * not retry it: the rows already read were handed out, so only the caller can restart the file.
 */
export class SalesforceDownloadError extends ExplainedError {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(
      `The download of ${path} broke off before the end (${describeCause(cause)}); the file must be fetched again from the start.`,
      "retry-unit",
      { cause },
    );
  }
}

/**
 * A query answer that says it is done with fewer records than its totalSize, and no nextRecordsUrl
 * to the rest: reported by collectors of big objects, whose answers may come without a locator.
 * Moving on would lose the rows left out; the caller reads a narrower query instead (the objects
 * source halves its window), or reads the unit again.
 */
export class SalesforceTruncatedAnswerError extends ExplainedError {
  constructor(
    /** Method and path of the query, without the query string. */
    readonly request: string,
    readonly received: number,
    readonly totalSize: number,
  ) {
    super(
      `${request} answered ${received} of its ${totalSize} records with done=true and no nextRecordsUrl; the rest cannot be read from this answer, so the query must be narrowed or run again.`,
      "retry-unit",
    );
  }
}

/** Salesforce answers that mean the request itself is wrong for this org: asking again cannot help. */
const CONFIGURATION_CODES = new Set([
  "INVALID_FIELD",
  "INVALID_TYPE",
  "MALFORMED_QUERY",
  "API_DISABLED_FOR_ORG",
  "API_CURRENTLY_DISABLED",
]);

/**
 * What an error answer means for the collector: a request this org cannot serve stops collection
 * (instead of looping on it the way some collectors loop on INVALID_FIELD), the spent allowance
 * ends the cycle, a 404 means the record is gone, and anything else may pass.
 */
function apiErrorAction(status: number, errorCode: string): ErrorAction {
  if (CONFIGURATION_CODES.has(errorCode)) return "stop";
  if (errorCode === "REQUEST_LIMIT_EXCEEDED") return "end-cycle";
  if (status === 404) return "skip-unit";
  return "retry-unit";
}

const ADVICE: Record<string, string> = {
  INVALID_SESSION_ID:
    "Salesforce rejected a freshly issued access token: check that the connected app grants the 'api' OAuth scope.",
  INVALID_TYPE:
    "The Run As user may lack the 'View Event Log Files' and 'API Enabled' permissions, or the org lacks Event Monitoring.",
  REQUEST_LIMIT_EXCEEDED:
    "The org's daily API allowance is spent: Salesforce counts calls over a rolling 24 hours, so calls come back as the oldest leave that window, and collection resumes at a later poll. Setup > System Overview shows which integrations use the allowance.",
  API_DISABLED_FOR_ORG: "The org's edition or the Run As user's profile does not allow API access.",
  API_CURRENTLY_DISABLED: "The Run As user needs the 'API Enabled' permission.",
};

function adviceFor(errorCode: string): string {
  const advice = ADVICE[errorCode];
  return advice ? ` ${advice}` : "";
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === "string" ? `${code}: ${cause.message}` : cause.message;
  }
  return String(cause);
}

/** The most a client reads of an error body: enough for any JSON error, not a whole HTML page. */
export const ERROR_BODY_LIMIT = 64 * 1024;

/**
 * Turns an error response into its code and message. REST errors are a JSON array of
 * `{message, errorCode}`; OAuth-style `{error, error_description}` objects occur too; edges and
 * load balancers answer 5xx with HTML or nothing, which is described rather than quoted.
 */
export function readErrorBody(
  status: number,
  contentType: string | undefined,
  text: string,
): { errorCode: string; detail: string } {
  const fallback = {
    errorCode: `HTTP_${status}`,
    detail:
      text.trim() === ""
        ? "empty response body"
        : `unexpected ${contentType?.split(";")[0] || "untyped"} response body`,
  };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return fallback;
  }
  const entries = Array.isArray(body) ? body : [body];
  const first = entries[0] as {
    errorCode?: unknown;
    message?: unknown;
    error?: unknown;
    error_description?: unknown;
  };
  if (typeof first?.errorCode === "string") {
    const messages = entries
      .map((e) => (e as { message?: unknown }).message)
      .filter((m): m is string => typeof m === "string");
    return { errorCode: first.errorCode, detail: messages.join(" | ") || "no message" };
  }
  if (typeof first?.error === "string") {
    return {
      errorCode: first.error,
      detail: typeof first.error_description === "string" ? first.error_description : "no description",
    };
  }
  return fallback;
}

/** Builds the right error class for a failed REST call. */
export function apiError(
  status: number,
  contentType: string | undefined,
  text: string,
  request: string,
  retryAfterMs?: number,
): SalesforceApiError {
  const { errorCode, detail } = readErrorBody(status, contentType, text);
  if (errorCode === "REQUEST_LIMIT_EXCEEDED") {
    return new SalesforceRequestLimitError(status, detail, request, retryAfterMs);
  }
  return new SalesforceApiError(status, errorCode, detail, request, retryAfterMs);
}
