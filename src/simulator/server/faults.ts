import { apiErrorBody, JSON_TYPE, oauthErrorBody } from "./error-bodies.js";
import { type FaultRoute, type FaultSpec, faultSchema } from "../scenario.js";

/** The routes the simulator tells apart; faults and /__sim/stats speak of these. */
export type Route =
  | "token"
  | "userinfo"
  | "versions"
  | "resources"
  | "query"
  | "queryMore"
  | "download"
  | "describe"
  | "record"
  | "limits"
  | "unknown";

/** What a request is, as far as faults care. */
export interface FaultContext {
  route: Route;
  fileId?: string;
  eventType?: string;
  /** The sObject a query or queryMore reads (as written in the statement, or its locator's). */
  object?: string;
}

export interface ActiveFault {
  id: number;
  spec: FaultSpec;
  /** Matching requests seen so far. */
  seen: number;
  /** Requests this fault has failed so far (at most spec.count). */
  fired: number;
}

/** Faults that answer instead of the route: a status and a body. */
export type StatusFault = Extract<
  FaultSpec["type"],
  | "session-expired"
  | "request-limit"
  | "edge-routing"
  | "query-timeout"
  | "server-unavailable"
  | "query-locator-expired"
>;
/** Faults that spoil the body of an otherwise normal answer. */
export type BodyFault = Exclude<FaultSpec["type"], StatusFault>;

const BODY_FAULTS: ReadonlySet<string> = new Set<BodyFault>([
  "connection-reset",
  "truncated-gzip",
  "slow-body",
]);

export function isBodyFault(spec: FaultSpec): spec is FaultSpec & { type: BodyFault } {
  return BODY_FAULTS.has(spec.type);
}

export function isStatusFault(spec: FaultSpec): spec is FaultSpec & { type: StatusFault } {
  return !isBodyFault(spec);
}

function matches(spec: FaultSpec, context: FaultContext): boolean {
  const route: FaultRoute = spec.route;
  if (route !== "any" && route !== context.route) return false;
  // Only a next-page request carries a locator that can expire.
  if (spec.type === "query-locator-expired" && context.route !== "queryMore") return false;
  if (spec.event_type !== undefined && spec.event_type !== context.eventType) return false;
  if (spec.file_id !== undefined && spec.file_id !== context.fileId) return false;
  if (spec.object !== undefined && spec.object.toLowerCase() !== context.object?.toLowerCase()) return false;
  return true;
}

/**
 * Faults waiting for their request. Each one counts the requests it matches on its own, so "fail the
 * 3rd download" means the 3rd download after the fault was added, whatever other faults do.
 */
export class FaultRegistry {
  private faults: ActiveFault[] = [];
  private nextId = 1;

  /** Validates and adds a fault; throws a ZodError describing a bad one. */
  add(input: unknown): ActiveFault {
    const fault = { id: this.nextId++, spec: faultSchema.parse(input), seen: 0, fired: 0 };
    this.faults.push(fault);
    return fault;
  }

  list(): readonly ActiveFault[] {
    return this.faults;
  }

  clear(): void {
    this.faults = [];
  }

  /** Counts this request against every matching fault and returns the one to apply, if any. */
  take(context: FaultContext): FaultSpec | undefined {
    let chosen: FaultSpec | undefined;
    for (const fault of this.faults) {
      if (!matches(fault.spec, context)) continue;
      fault.seen++;
      if (chosen === undefined && fault.seen >= fault.spec.nth && fault.fired < fault.spec.count) {
        fault.fired++;
        chosen = fault.spec;
      }
    }
    return chosen;
  }
}

export interface CannedAnswer {
  status: number;
  contentType: string;
  body: string;
}

const HTML_TYPE = "text/html;charset=UTF-8";

/**
 * What a status fault answers. The REST API and the token endpoint word failures differently
 * (an array of {message, errorCode} versus {error, error_description}); edge failures (420, 503) come
 * from in front of both, as HTML.
 */
export function cannedAnswer(type: StatusFault, oauth: boolean): CannedAnswer {
  switch (type) {
    case "session-expired":
      return oauth
        ? {
            status: 400,
            contentType: JSON_TYPE,
            body: oauthErrorBody("invalid_grant", "authentication failure"),
          }
        : {
            status: 401,
            contentType: JSON_TYPE,
            body: apiErrorBody("INVALID_SESSION_ID", "Session expired or invalid"),
          };
    case "request-limit":
      return oauth
        ? {
            status: 400,
            contentType: JSON_TYPE,
            body: oauthErrorBody("rate_limit_exceeded", "rate limit exceeded"),
          }
        : {
            status: 403,
            contentType: JSON_TYPE,
            body: apiErrorBody("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
          };
    case "query-timeout":
      return oauth
        ? { status: 500, contentType: JSON_TYPE, body: oauthErrorBody("unknown_error", "retry your request") }
        : {
            status: 500,
            contentType: JSON_TYPE,
            body: apiErrorBody("QUERY_TIMEOUT", "Your query request was running for too long."),
          };
    case "query-locator-expired":
      // As Salesforce answers a locator that expired or was dropped (see query-route.ts).
      return {
        status: 400,
        contentType: JSON_TYPE,
        body: apiErrorBody("INVALID_QUERY_LOCATOR", "invalid query locator"),
      };
    case "edge-routing":
      return {
        status: 420,
        contentType: HTML_TYPE,
        body: "<html><body><h1>420</h1><p>Salesforce Edge doesn't have routing information for this request.</p></body></html>",
      };
    case "server-unavailable":
      return {
        status: 503,
        contentType: HTML_TYPE,
        body:
          "<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body>" +
          "<h1>Service Unavailable</h1><p>The server is temporarily unable to service your request due to " +
          "maintenance downtime or capacity problems. Please try again later.</p></body></html>",
      };
  }
}
