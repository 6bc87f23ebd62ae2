import type { IncomingMessage, ServerResponse } from "node:http";
import { toCaseSafeId } from "../../salesforce/ids.js";
import type { EventLogFileEntry } from "../org/index.js";
import { answerAdmin } from "./admin.js";
import type { SimulatorContext } from "./context.js";
import { describeJson, EVENT_LOG_FILE, eventLogFileSchema, recordJson, toRecord } from "./event-log-file.js";
import { cannedAnswer, type FaultContext, isBodyFault, isStatusFault } from "./faults.js";
import { answerQuery, answerQueryMore, type JsonAnswer, queriedObject } from "./query-route.js";
import { describeSObjectJson } from "./sobject-json.js";
import { OBJECTS, objectSpec } from "../objects/index.js";
import { apiErrorBody } from "./error-bodies.js";
import { sendBody, sendJson, sendText } from "./respond.js";
import { readBody } from "./request-body.js";
import { resolveTarget, routeOf, type Target } from "./routes.js";
import { answerTokenRequest } from "./token-endpoint.js";
import { versionList, versionResources, versionStatus } from "./versions.js";

type Versioned = Extract<Target, { major: number }>;

const NOT_FOUND: JsonAnswer = {
  status: 404,
  body: apiErrorBody("NOT_FOUND", "The requested resource does not exist"),
};

/** One request, start to finish: admin routes, then the OAuth endpoints, then the REST API. */
export async function handleRequest(
  context: SimulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  // Salesforce's Date header tells a client the org's time; here that is the simulated clock.
  res.setHeader("Date", context.clock.now().toUTCString());
  if (url.pathname.startsWith("/__sim/")) return answerAdmin(context, req, res, url);

  const target = resolveTarget(url.pathname);
  if (target === undefined) return sendJson(req, res, NOT_FOUND.status, NOT_FOUND.body);
  const route = routeOf(target);
  context.requests[route] = (context.requests[route] ?? 0) + 1;

  const allowed = target.route === "token" ? "POST" : "GET";
  if (req.method !== allowed && !(allowed === "GET" && req.method === "HEAD")) {
    const message = `HTTP Method '${req.method}' not allowed. Allowed are ${allowed === "GET" ? "GET,HEAD" : "POST"}`;
    return sendJson(req, res, 405, apiErrorBody("METHOD_NOT_ALLOWED", message));
  }

  if ("major" in target) {
    const status = versionStatus(target.major, context.latestVersion);
    if (status === "retired") {
      return sendJson(req, res, 410, apiErrorBody("GONE", `API version ${target.version} has been retired.`));
    }
    if (status === "unknown") return sendJson(req, res, NOT_FOUND.status, NOT_FOUND.body);
  }

  // A download's fault may name an event type or a file: look the file up first.
  const file = "fileId" in target ? findFile(context, target.fileId) : undefined;
  const faultContext: FaultContext = {
    route,
    fileId: file?.Id,
    eventType: file?.EventType,
    object:
      target.route === "query"
        ? queriedObject(url.searchParams.get("q"))
        : target.route === "queryMore"
          ? context.locators.objectOf(target.locator)
          : undefined,
  };
  const fault = context.faults.take(faultContext);
  const spoil = fault !== undefined && isBodyFault(fault) ? fault : undefined;
  if (fault !== undefined && isStatusFault(fault)) {
    const canned = cannedAnswer(fault.type, target.route === "token");
    const headers = "major" in target ? { "Sforce-Limit-Info": context.usage.header() } : {};
    return sendText(req, res, canned.status, canned.contentType, canned.body, undefined, headers);
  }

  if (!("major" in target)) {
    if (target.route === "token") {
      const answer = answerTokenRequest(req, await readBody(req), tokenOptions(context));
      return sendJson(req, res, answer.status, answer.body, spoil, { "Cache-Control": "no-store" });
    }
    if (target.route === "versions")
      return sendJson(req, res, 200, versionList(context.latestVersion), spoil);
    // userinfo: the identity service answers a bad token in plain text, unlike the REST API.
    if (context.sessions.check(req.headers.authorization) === undefined) {
      return sendText(req, res, 403, "text/plain;charset=UTF-8", "Bad_OAuth_Token", spoil);
    }
    return sendJson(req, res, 200, userInfo(context), spoil);
  }

  if (context.sessions.check(req.headers.authorization) === undefined) {
    return sendJson(req, res, 401, apiErrorBody("INVALID_SESSION_ID", "Session expired or invalid"), spoil);
  }
  if (!context.usage.spend()) {
    return sendJson(
      req,
      res,
      403,
      apiErrorBody("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
      spoil,
      { "Sforce-Limit-Info": context.usage.header() },
    );
  }
  const limitInfo = { "Sforce-Limit-Info": context.usage.header() };

  if (target.route === "download") {
    if (file === undefined) return sendJson(req, res, NOT_FOUND.status, NOT_FOUND.body, spoil, limitInfo);
    const headers = { ...limitInfo, "Content-Type": "application/octetstream" };
    return sendBody(req, res, 200, headers, context.org.body(file), spoil);
  }
  const answer = answerApi(context, req, target, url, file);
  return sendJson(req, res, answer.status, answer.body, spoil, limitInfo);
}

function answerApi(
  context: SimulatorContext,
  req: IncomingMessage,
  target: Versioned,
  url: URL,
  file: EventLogFileEntry | undefined,
): JsonAnswer {
  const { version } = target;
  const access = context.scenario.org.event_log_file_access;
  const hourly = context.scenario.org.hourly;
  switch (target.route) {
    case "resources":
      return { status: 200, body: versionResources(version) };
    case "query":
      return answerQuery(context, req, url.searchParams.get("q"), version, target.major);
    case "queryMore":
      return answerQueryMore(context, target.locator, target.offset, version);
    case "limits":
      return { status: 200, body: limitsJson(context) };
    case "sobjects":
      return { status: 200, body: globalDescribe(context, access, version, target.major) };
    case "describe": {
      const notSupported = {
        status: 400,
        body: apiErrorBody("INVALID_TYPE", `sObject type '${target.object}' is not supported.`),
      };
      if (target.object.toLowerCase() === EVENT_LOG_FILE.toLowerCase()) {
        return access
          ? { status: 200, body: describeJson(hourly, context.eventTypes, version) }
          : notSupported;
      }
      const spec = objectSpec(target.object);
      if (spec === undefined) return NOT_FOUND;
      if (!context.objects.canRead(spec, target.major)) return notSupported;
      return {
        status: 200,
        body: describeSObjectJson(
          { ...spec, keyPrefix: spec.kind === "big" ? null : spec.keyPrefix },
          version,
        ),
      };
    }
    case "record": {
      if (file === undefined) return NOT_FOUND;
      const fields = eventLogFileSchema(hourly).fields.map((f) => f.name);
      const record = toRecord(file, version, context.identity.systemUserId18);
      return { status: 200, body: recordJson(record, fields, file.Id, version) };
    }
    case "unknown":
      return NOT_FOUND;
    case "download":
      throw new Error("downloads are streamed, not answered as JSON");
  }
}

/** The file behind an Id in a URL (15 or 18 characters), if the org shows it now and to this user. */
function findFile(context: SimulatorContext, id: string): EventLogFileEntry | undefined {
  if (!context.scenario.org.event_log_file_access) return undefined;
  if (id.length !== 15 && id.length !== 18) return undefined;
  const id18 = id.length === 15 ? toCaseSafeId(id) : id;
  return context.org.file(id18, context.clock.now());
}

function tokenOptions(context: SimulatorContext) {
  const { oauth } = context.scenario;
  return {
    clientId: oauth.client_id,
    clientSecret: oauth.client_secret,
    loginHost: oauth.login_host,
    clientCredentialsUser: oauth.client_credentials_user,
    jwt: context.jwtPolicy,
    identity: context.identity,
    sessions: context.sessions,
    instanceUrl: context.url,
  };
}

function limitsJson(context: SimulatorContext): string {
  const { max } = context.usage;
  return JSON.stringify({
    DailyApiRequests: { Max: max, Remaining: max - context.usage.spent },
    DailyBulkApiBatches: { Max: 15000, Remaining: 15000 },
    DailyBulkV2QueryJobs: { Max: 10000, Remaining: 10000 },
    DailyDeliveredPlatformEvents: { Max: 50000, Remaining: 50000 },
    HourlyPublishedPlatformEvents: { Max: 250000, Remaining: 250000 },
  });
}

/** The objects this user can query at this version: EventLogFile, then the monitoring objects. */
function globalDescribe(context: SimulatorContext, access: boolean, version: string, major: number): string {
  const entry = (name: string, label: string, keyPrefix: string | null) => ({
    name,
    label,
    keyPrefix,
    queryable: true,
    urls: {
      sobject: `/services/data/v${version}/sobjects/${name}`,
      describe: `/services/data/v${version}/sobjects/${name}/describe`,
    },
  });
  const sobjects = [
    ...(access ? [entry(EVENT_LOG_FILE, "Event Log File", "0AT")] : []),
    ...OBJECTS.filter((spec) => context.objects.canRead(spec, major)).map((spec) =>
      entry(spec.name, spec.label, spec.kind === "big" ? null : spec.keyPrefix),
    ),
  ];
  return JSON.stringify({ encoding: "UTF-8", maxBatchSize: 200, sobjects });
}

function userInfo(context: SimulatorContext): string {
  const { identity } = context;
  const user = identity.runAsUser;
  return JSON.stringify({
    sub: `https://login.salesforce.com/id/${identity.orgId18}/${user.id18}`,
    user_id: user.id18,
    organization_id: identity.orgId18,
    preferred_username: user.username,
    name: user.name,
    active: true,
    user_type: "STANDARD",
    zoneinfo: "GMT",
    locale: "en_US",
  });
}
