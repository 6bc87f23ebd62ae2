import { isIP } from "node:net";
import { rowJsonEncoder } from "../csv/row-json.js";
import { eventTypeSchema } from "../salesforce/event-types.js";
import { CODED_COLUMNS } from "./codes.js";
import { type ColumnType, columnType, convert, DIRECT_FIELDS, parseBoolean, snakeCase } from "./columns.js";
import { eventClass } from "./event-classes.js";
import { rowFingerprinter } from "./fingerprint.js";
import type { GeoIp } from "./geoip.js";
import { parseSalesforceTime } from "./timestamp.js";
import type { UrlSplitter } from "./url.js";
import type { UserAgentParser } from "./user-agent.js";

/** An ECS document under construction. */
type Doc = { [key: string]: unknown };
type Path = readonly string[];

/** The ECS version whose field definitions the documents follow. */
export const ECS_VERSION = "8.17.0";

/** Shared, per-normalizer helpers a plan uses. */
export interface PlanContext {
  userAgents: UserAgentParser;
  urls: UrlSplitter;
  geoip: GeoIp | undefined;
  includeOriginal: boolean;
}

/** Normalizes one row; `original` is the row's raw JSON when the caller has already built it. */
export type RowNormalizer = (values: readonly string[], original?: string) => Doc;

/** Columns resolved together, first that holds a fitting value wins. Order is Sekoia.io's. */
const TIME_COLUMNS = ["TIMESTAMP_DERIVED", "TIMESTAMP", "LOGIN_TIME"];
const IP_COLUMNS = ["SOURCE_IP", "CLIENT_IP", "IP_ADDRESS"];
const URL_PATH_COLUMNS = ["API_ENDPOINT", "URI", "PAGE_URL"];
const URL_COLUMNS = ["REPORT_URL", "LOGIN_URL", "URL"];
const METHOD_COLUMNS = ["API_METHOD", "METHOD", "HTTP_METHOD", "REQUEST_METHOD"];
const ACTION_COLUMNS = ["UI_EVENT_TYPE", "ACTION"];
/** Action fallbacks that also keep their own field (Sekoia.io 1.0.3). */
const ACTION_FALLBACK_COLUMNS = ["DML_TYPE", "TRANSACTION_TYPE"];
const USER_COLUMNS = ["USER_NAME", "USER"];
const DURATION_MS_COLUMNS = ["EXEC_TIME", "DURATION", "TIME", "RUN_TIME"];
const OUTCOME_BOOLEAN_COLUMNS = ["SUCCESS", "IS_SUCCESS", "IS_SUCCESSFUL"];
const RELATED_USER_COLUMNS = ["DELEGATED_USER_NAME"];
const LOGIN_SUCCESS = new Set(["LOGIN_NO_ERROR", "Success"]);
const REQUEST_STATUS_OUTCOME: Record<string, "success" | "failure"> = {
  S: "success",
  R: "success",
  F: "failure",
  A: "failure",
  N: "failure",
};

/** Object names under `salesforce.` that Sekoia.io's fields use: a plain column may not take them. */
const RESERVED = new Set(
  Object.values(DIRECT_FIELDS)
    .map((path) => path.split("."))
    .filter((parts) => parts[0] === "salesforce" && parts.length > 2)
    .map((parts) => parts[1])
    .concat("unparsed"),
);

interface Column {
  index: number;
  name: string;
  type: ColumnType;
  /** Where the column lands when nothing else claims it. */
  generic: Path;
  /** Where a value that does not fit the column's type is kept, as written. */
  unparsed: Path;
}

/**
 * Compiles the normalization of one header (one file) for one event type: every decision that
 * depends only on the column names is taken here once, so the per-row work is a loop over
 * precomputed steps.
 */
export function compilePlan(
  header: readonly string[],
  eventType: string,
  ctx: PlanContext,
  logFileFieldTypes?: readonly string[],
): RowNormalizer {
  // Without the file's LogFileFieldTypes, the documented types of the event type's columns.
  const documented = new Map(eventTypeSchema(eventType)?.columns.map((c) => [c.name, c.type]));
  const columns = new Map<string, Column>();
  header.forEach((name, index) => {
    if (columns.has(name)) return;
    const snake = snakeCase(name);
    columns.set(name, {
      index,
      name,
      type: columnType(name, logFileFieldTypes?.[index] ?? documented.get(name)),
      generic: RESERVED.has(snake) ? ["salesforce", snake, "value"] : ["salesforce", snake],
      unparsed: ["salesforce", "unparsed", snake],
    });
  });
  const present = (names: readonly string[]) =>
    names.map((n) => columns.get(n)).filter((c): c is Column => c !== undefined);

  const consumed = new Set<string>([
    "EVENT_TYPE",
    ...TIME_COLUMNS,
    ...IP_COLUMNS,
    ...URL_PATH_COLUMNS,
    ...URL_COLUMNS,
    ...METHOD_COLUMNS,
    ...ACTION_COLUMNS,
    ...USER_COLUMNS,
    "USERNAME",
    "QUERY",
    "CLIENT_GEO",
    "PAGE_START_TIME",
    "TLS_PROTOCOL",
    "BROWSER_TYPE",
    "USER_AGENT",
  ]);

  // Columns with one place: a direct ECS or Sekoia.io field, or salesforce.<snake case>.
  const placed = [...columns.values()]
    .filter((c) => !consumed.has(c.name))
    .map((c) => {
      const direct = DIRECT_FIELDS[c.name];
      const path = direct !== undefined ? direct.split(".") : c.generic;
      const decode = Object.hasOwn(CODED_COLUMNS, c.name) ? CODED_COLUMNS[c.name] : undefined;
      return { column: c, path, decodedPath: decode && withNameSuffix(path), decode };
    });

  const cls = eventClass(eventType);
  const times = present(TIME_COLUMNS);
  const ips = present(IP_COLUMNS);
  const urlPaths = present(URL_PATH_COLUMNS);
  const urls = present(URL_COLUMNS);
  const methods = present(METHOD_COLUMNS);
  const actions = present(ACTION_COLUMNS);
  const actionFallbacks = present(ACTION_FALLBACK_COLUMNS);
  const users = present(USER_COLUMNS);
  const username = columns.get("USERNAME");
  const durations = present(DURATION_MS_COLUMNS);
  const relatedUsers = present(RELATED_USER_COLUMNS);
  const forwardedFor = columns.get("FORWARDED_FOR_IP");
  const query = columns.get("QUERY");
  const clientGeo = columns.get("CLIENT_GEO");
  const pageStart = columns.get("PAGE_START_TIME");
  const tlsProtocol = columns.get("TLS_PROTOCOL");
  const browserType = columns.get("BROWSER_TYPE");
  const userAgent = columns.get("USER_AGENT");
  const outcomeOf = compileOutcome(eventType, columns);
  const fingerprint = rowFingerprinter(eventType, header);
  const rowJson = ctx.includeOriginal ? rowJsonEncoder(header) : undefined;

  return (values, original) => {
    const doc: Doc = {};
    const event: Doc = {
      kind: "event",
      category: cls.category.slice(),
      type: cls.type.slice(),
      action: cls.action,
      dataset: eventType,
      module: "salesforce",
      provider: "EventLogFile",
    };
    const timestamp = resolve(doc, values, times, parseSalesforceTime);
    if (timestamp !== undefined) doc["@timestamp"] = timestamp;
    doc.event = event;

    for (const { column, path, decode, decodedPath } of placed) {
      const raw = values[column.index];
      if (raw === "") continue;
      const value = convert(column.type, raw);
      if (value === undefined) put(doc, column.unparsed, raw);
      else if (!put(doc, path, value)) put(doc, column.generic, value);
      const name = decode?.(raw);
      if (name !== undefined) put(doc, decodedPath!, name);
    }

    const action = resolve(doc, values, actions, nonEmpty) ?? first(values, actionFallbacks);
    if (action !== undefined) event.action = action;

    const outcome = outcomeOf(values);
    if (outcome !== undefined) {
      event.outcome = outcome;
      // A refused login starts no session (Sekoia.io's choice, kept).
      if (eventType === "Login" && outcome === "failure") event.type = ["info"];
    }

    const pageStartTime = pageStart && values[pageStart.index];
    if (pageStartTime) {
      const start = parseSalesforceTime(pageStartTime);
      if (start !== undefined) event.start = start;
      else keep(doc, pageStart!, pageStartTime);
    }

    for (const c of durations) {
      const ms = Number(values[c.index]);
      if (values[c.index] !== "" && Number.isFinite(ms)) {
        event.duration = Math.round(ms * 1e6);
        break;
      }
    }

    const sourceIp = resolve(doc, values, ips, validIp);
    const relatedIps: string[] = [];
    if (sourceIp !== undefined) {
      const geo =
        clientGeo && values[clientGeo.index] ? geoFromClientGeo(values[clientGeo.index]) : undefined;
      const source: Doc = { ip: sourceIp, address: sourceIp };
      const lookedUp = ctx.geoip?.lookup(sourceIp);
      if (geo !== undefined || lookedUp?.geo !== undefined) source.geo = { ...lookedUp?.geo, ...geo };
      if (lookedUp?.as !== undefined) source.as = lookedUp.as;
      doc.source = source;
      relatedIps.push(sourceIp);
    } else if (clientGeo && values[clientGeo.index]) {
      doc.source = { geo: geoFromClientGeo(values[clientGeo.index]) };
    }
    for (const c of ips) addIps(relatedIps, values[c.index]);
    if (forwardedFor !== undefined) addIps(relatedIps, values[forwardedFor.index]);

    const method = resolve(doc, values, methods, nonEmpty);
    if (method !== undefined) put(doc, ["http", "request", "method"], method);

    const urlPath = resolve(doc, values, urlPaths, nonEmpty);
    if (urlPath !== undefined) put(doc, ["url", "path"], urlPath);
    const queryText = query && values[query.index];
    if (queryText) {
      // Sites write a URL query string; API rows write SOQL, which is no URL query.
      if (queryText.startsWith("?")) put(doc, ["url", "query"], queryText.slice(1));
      else keep(doc, query!, queryText);
    }
    const urlOriginal = resolve(doc, values, urls, nonEmpty);
    if (urlOriginal !== undefined) setUrl(doc, urlOriginal, ctx.urls);

    const relatedUserNames: string[] = [];
    if (username && values[username.index]) {
      const name = values[username.index];
      if (!put(doc, ["user", "name"], name)) keep(doc, username, name);
      relatedUserNames.push(name);
    }
    for (const c of users) {
      const name = values[c.index];
      if (name === "") continue;
      if (!put(doc, ["user", name.includes("@") ? "email" : "name"], name)) keep(doc, c, name);
      if (!relatedUserNames.includes(name)) relatedUserNames.push(name);
    }
    for (const c of relatedUsers) {
      const name = values[c.index];
      if (name !== "" && !relatedUserNames.includes(name)) relatedUserNames.push(name);
    }

    const tls = tlsProtocol && values[tlsProtocol.index];
    if (tls) {
      const version = /^(TLS|SSL)v?(\d+(?:\.\d+)?)$/i.exec(tls);
      // ECS splits TLSv1.3 into a protocol (tls) and a version (1.3).
      if (version !== null) put(doc, ["tls", "version_protocol"], version[1].toLowerCase());
      put(doc, ["tls", "version"], version !== null ? version[2] : tls);
    }

    const uaString = browserType && values[browserType.index];
    if (uaString) setUserAgent(doc, uaString, ctx.userAgents);
    const uaCode = userAgent && values[userAgent.index];
    if (uaCode) {
      if (/^\d+$/.test(uaCode)) {
        put(doc, ["salesforce", "user_agent"], Number(uaCode));
        const name = CODED_COLUMNS.USER_AGENT(uaCode);
        if (name !== undefined) put(doc, ["salesforce", "user_agent_name"], name);
      } else if (!uaString) setUserAgent(doc, uaCode, ctx.userAgents);
      else put(doc, ["salesforce", "user_agent_original"], uaCode);
    }

    if (relatedIps.length > 0 || relatedUserNames.length > 0) {
      const related: Doc = {};
      if (relatedIps.length > 0) related.ip = relatedIps;
      if (relatedUserNames.length > 0) related.user = relatedUserNames;
      doc.related = related;
    }
    event.id = fingerprint(values);
    if (rowJson !== undefined) event.original = original ?? rowJson(values);
    doc.ecs = { version: ECS_VERSION };
    return doc;
  };
}

/**
 * The winner of a precedence group: the first column whose value `accept` takes. The other
 * non-empty columns keep their own field unless they say the same thing, so nothing is lost.
 */
function resolve(
  doc: Doc,
  values: readonly string[],
  group: readonly Column[],
  accept: (value: string) => string | undefined,
): string | undefined {
  let winner: string | undefined;
  for (const c of group) {
    const raw = values[c.index];
    if (raw === "") continue;
    const accepted = accept(raw);
    if (winner === undefined && accepted !== undefined) winner = accepted;
    else if (accepted === undefined || accepted !== winner) keep(doc, c, raw);
  }
  return winner;
}

/** Puts a column's value at its own `salesforce.*` field, typed, or as written when it does not fit. */
function keep(doc: Doc, c: Column, raw: string): void {
  const value = convert(c.type, raw);
  put(doc, value === undefined ? c.unparsed : c.generic, value ?? raw);
}

/**
 * Sets a nested field. Returns false, leaving the document as it was, when the field already
 * holds a different value: the caller then keeps the value elsewhere instead of losing one.
 */
function put(doc: Doc, path: Path, value: unknown): boolean {
  let node = doc;
  const last = path.length - 1;
  for (let i = 0; i < last; i++) {
    let next = node[path[i]];
    if (next === undefined) {
      next = {};
      node[path[i]] = next;
    } else if (typeof next !== "object" || next === null) return false;
    node = next as Doc;
  }
  const existing = node[path[last]];
  if (existing !== undefined && existing !== value) return false;
  node[path[last]] = value;
  return true;
}

function first(values: readonly string[], group: readonly Column[]): string | undefined {
  for (const c of group) if (values[c.index] !== "") return values[c.index];
  return undefined;
}

const nonEmpty = (value: string) => value;
const validIp = (value: string) => (isIP(value) !== 0 ? value : undefined);

/** FORWARDED_FOR_IP is an X-Forwarded-For list; only real addresses are related IPs. */
function addIps(related: string[], value: string): void {
  if (value === "") return;
  if (!value.includes(",")) {
    if (!related.includes(value) && isIP(value) !== 0) related.push(value);
    return;
  }
  for (const part of value.split(",")) {
    const ip = part.trim();
    if (isIP(ip) !== 0 && !related.includes(ip)) related.push(ip);
  }
}

/** CLIENT_GEO is `Country/Region` as Salesforce geolocates the client. */
function geoFromClientGeo(value: string): Doc {
  const slash = value.indexOf("/");
  if (slash === -1) return { country_name: value };
  const geo: Doc = { country_name: value.slice(0, slash).trim() };
  const region = value.slice(slash + 1).trim();
  if (region !== "") geo.region_name = region;
  return geo;
}

function setUrl(doc: Doc, original: string, urls: UrlSplitter): void {
  const url = ((doc.url as Doc | undefined) ?? {}) as Doc;
  url.original = original;
  const parts = urls.split(original);
  if (parts !== undefined) {
    url.full = original;
    url.scheme = parts.scheme;
    url.domain = parts.domain;
    if (parts.port !== undefined) url.port = parts.port;
    // The row's own path and query columns say more than the URL's.
    if (parts.path !== undefined && url.path === undefined) url.path = parts.path;
    if (parts.query !== undefined && url.query === undefined) url.query = parts.query;
    if (parts.fragment !== undefined) url.fragment = parts.fragment;
  }
  doc.url = url;
}

function setUserAgent(doc: Doc, ua: string, parser: UserAgentParser): void {
  const agent = ((doc.user_agent as Doc | undefined) ?? {}) as Doc;
  agent.original = ua;
  const parsed = parser.parse(ua);
  // BROWSER_NAME and BROWSER_VERSION are Salesforce's own reading: the parser fills only gaps.
  if (parsed.name !== undefined && agent.name === undefined) agent.name = parsed.name;
  if (parsed.version !== undefined && agent.version === undefined) agent.version = parsed.version;
  if (parsed.os !== undefined) agent.os = { ...parsed.os };
  if (parsed.device !== undefined) agent.device = { ...parsed.device };
  doc.user_agent = agent;
}

/** `salesforce.api.type` → `salesforce.api.type_name`: the decoded name of a code sits beside it. */
function withNameSuffix(path: Path): Path {
  return [...path.slice(0, -1), `${path[path.length - 1]}_name`];
}

/**
 * event.outcome, from the most specific signal the header offers: the login status, the event
 * type itself, a success flag, an error flag, the HTTP status, then REQUEST_STATUS. Absent when
 * none of them says.
 */
function compileOutcome(
  eventType: string,
  columns: Map<string, Column>,
): (values: readonly string[]) => "success" | "failure" | undefined {
  const rules: ((values: readonly string[]) => "success" | "failure" | undefined)[] = [];
  const at = (name: string, rule: (value: string) => "success" | "failure" | undefined) => {
    const c = columns.get(name);
    if (c !== undefined) rules.push((values) => (values[c.index] === "" ? undefined : rule(values[c.index])));
  };
  if (eventType === "Login") at("LOGIN_STATUS", (v) => (LOGIN_SUCCESS.has(v) ? "success" : "failure"));
  const fixed = eventClass(eventType).outcome;
  if (fixed !== undefined) rules.push(() => fixed);
  for (const name of OUTCOME_BOOLEAN_COLUMNS) at(name, (v) => ifBoolean(v, "success", "failure"));
  at("IS_ERROR", (v) => ifBoolean(v, "failure", "success"));
  at("STATUS_CODE", (v) => {
    const code = Number(v);
    if (!Number.isInteger(code) || code < 100) return undefined;
    return code >= 400 ? "failure" : "success";
  });
  at("REQUEST_STATUS", (v) => REQUEST_STATUS_OUTCOME[v]);
  return (values) => {
    for (const rule of rules) {
      const outcome = rule(values);
      if (outcome !== undefined) return outcome;
    }
    return undefined;
  };
}

function ifBoolean<T>(value: string, whenTrue: T, whenFalse: T): T | undefined {
  const b = parseBoolean(value);
  return b === undefined ? undefined : b ? whenTrue : whenFalse;
}
