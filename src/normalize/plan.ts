import { isIP } from "node:net";
import { eventId } from "../core/identity.js";
import { rowJsonEncoder } from "../csv/row-json.js";
import { eventTypeSchema } from "../salesforce/event-types.js";
import { CODED_COLUMNS } from "./codes.js";
import { type ColumnType, columnType, convert, DIRECT_FIELDS, parseBoolean, snakeCase } from "./columns.js";
import { eventClass } from "./event-classes.js";
import type { GeoIp } from "./geoip.js";
import { DocumentLayout, type FieldValue, type Fields, type Path } from "./layout.js";
import { parseSalesforceTime } from "./timestamp.js";
import type { UrlSplitter } from "./url.js";
import type { UserAgentParser } from "./user-agent.js";

/** The ECS version whose field definitions the documents follow. */
export const ECS_VERSION = "8.17.0";

/** Shared, per-normalizer helpers a plan uses. */
export interface PlanContext {
  userAgents: UserAgentParser;
  urls: UrlSplitter;
  geoip: GeoIp | undefined;
  includeOriginal: boolean;
}

/**
 * Encodes one row as the JSON text of its ECS document; `original` is the row's raw JSON when the
 * caller has already built it (the one the outputs send: event.id is taken over it).
 */
export type RowEncoder = (values: readonly string[], original?: string) => string;

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
  /** The slot of the field where the column lands when nothing else claims it. */
  generic: number;
  /**
   * The slot where a value that does not fit the column's type is kept, as written; -1 for a
   * keyword, which every value fits (the writer then has one field less to look at per row).
   */
  unparsed: number;
}

/**
 * Compiles the normalization of one header (one file) for one event type: every decision that
 * depends only on the column names is taken here once, and every field a row may set gets its
 * slot in the document's layout, so the per-row work is a loop over precomputed steps that fills
 * slots, then one pass that writes the JSON text.
 */
export function compilePlan(
  header: readonly string[],
  eventType: string,
  ctx: PlanContext,
  logFileFieldTypes?: readonly string[],
): RowEncoder {
  const layout = new DocumentLayout();
  const cls = eventClass(eventType);
  // Declared first, so that a document reads from its time and categorization down.
  const timestampSlot = layout.slot(["@timestamp"]);
  layout.constant(["event", "kind"], "event");
  layout.constant(["event", "category"], cls.category);
  layout.constant(["event", "dataset"], eventType);
  layout.constant(["event", "module"], "salesforce");
  layout.constant(["event", "provider"], "EventLogFile");
  const slot = (...path: string[]) => layout.slot(path);
  const eventSlots = {
    type: slot("event", "type"),
    action: slot("event", "action"),
    outcome: slot("event", "outcome"),
    start: slot("event", "start"),
    duration: slot("event", "duration"),
    id: slot("event", "id"),
    original: slot("event", "original"),
  };

  // Without the file's LogFileFieldTypes, the documented types of the event type's columns.
  const documented = new Map(eventTypeSchema(eventType)?.columns.map((c) => [c.name, c.type]));
  const columns = new Map<string, Column>();
  header.forEach((name, index) => {
    if (columns.has(name)) return;
    const type = columnType(name, logFileFieldTypes?.[index] ?? documented.get(name));
    columns.set(name, {
      index,
      name,
      type,
      generic: layout.slot(genericPath(name)),
      unparsed: type === "keyword" ? -1 : layout.slot(["salesforce", "unparsed", snakeCase(name)]),
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
      const path = direct !== undefined ? direct.split(".") : genericPath(c.name);
      const decode = Object.hasOwn(CODED_COLUMNS, c.name) ? CODED_COLUMNS[c.name] : undefined;
      return {
        column: c,
        field: layout.slot(path),
        decode,
        decodedField: decode && layout.slot(withNameSuffix(path)),
      };
    });

  // The slots of the fields that the per-row code sets by name.
  const at = {
    ...eventSlots,
    sourceIp: slot("source", "ip"),
    sourceAddress: slot("source", "address"),
    sourceGeo: slot("source", "geo"),
    sourceAs: slot("source", "as"),
    method: slot("http", "request", "method"),
    urlPath: slot("url", "path"),
    urlQuery: slot("url", "query"),
    url: {
      original: slot("url", "original"),
      full: slot("url", "full"),
      scheme: slot("url", "scheme"),
      domain: slot("url", "domain"),
      port: slot("url", "port"),
      fragment: slot("url", "fragment"),
    },
    userName: slot("user", "name"),
    userEmail: slot("user", "email"),
    tlsProtocol: slot("tls", "version_protocol"),
    tlsVersion: slot("tls", "version"),
    agent: userAgentSlots(slot),
    agentCode: slot("salesforce", "user_agent"),
    agentCodeName: slot("salesforce", "user_agent_name"),
    agentOriginal: slot("salesforce", "user_agent_original"),
    relatedIp: slot("related", "ip"),
    relatedUser: slot("related", "user"),
  };
  layout.constant(["ecs", "version"], ECS_VERSION);

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
  const rowJson = rowJsonEncoder(header);
  const write = layout.compile();
  // Rows are encoded one at a time: one array of fields serves them all.
  const fields = layout.fields();

  return (values, original) => {
    fields.fill(undefined);
    const timestamp = resolve(fields, values, times, parseSalesforceTime);
    if (timestamp !== undefined) fields[timestampSlot] = timestamp;

    for (const { column, field, decode, decodedField } of placed) {
      const raw = values[column.index];
      if (raw === "") continue;
      const value = convert(column.type, raw);
      if (value === undefined) put(fields, column.unparsed, raw);
      else if (!put(fields, field, value)) put(fields, column.generic, value);
      const name = decode?.(raw);
      if (name !== undefined) put(fields, decodedField!, name);
    }

    fields[at.action] =
      resolve(fields, values, actions, nonEmpty) ?? first(values, actionFallbacks) ?? cls.action;

    const outcome = outcomeOf(values);
    fields[at.type] = cls.type;
    if (outcome !== undefined) {
      fields[at.outcome] = outcome;
      // A refused login starts no session (Sekoia.io's choice, kept).
      if (eventType === "Login" && outcome === "failure") fields[at.type] = INFO;
    }

    const pageStartTime = pageStart && values[pageStart.index];
    if (pageStartTime) {
      const start = parseSalesforceTime(pageStartTime);
      if (start !== undefined) fields[at.start] = start;
      else keep(fields, pageStart!, pageStartTime);
    }

    for (const c of durations) {
      const ms = Number(values[c.index]);
      if (values[c.index] !== "" && Number.isFinite(ms)) {
        fields[at.duration] = Math.round(ms * 1e6);
        break;
      }
    }

    const sourceIp = resolve(fields, values, ips, validIp);
    const geoText = clientGeo && values[clientGeo.index];
    const relatedIps: string[] = [];
    if (sourceIp !== undefined) {
      const geo = geoText ? geoFromClientGeo(geoText) : undefined;
      fields[at.sourceIp] = sourceIp;
      fields[at.sourceAddress] = sourceIp;
      const lookedUp = ctx.geoip?.lookup(sourceIp);
      if (lookedUp?.geo !== undefined) fields[at.sourceGeo] = { ...lookedUp.geo, ...geo };
      else if (geo !== undefined) fields[at.sourceGeo] = geo;
      if (lookedUp?.as !== undefined) fields[at.sourceAs] = lookedUp.as;
      relatedIps.push(sourceIp);
    } else if (geoText) {
      fields[at.sourceGeo] = geoFromClientGeo(geoText);
    }
    for (const c of ips) addIps(relatedIps, values[c.index]);
    if (forwardedFor !== undefined) addIps(relatedIps, values[forwardedFor.index]);

    const method = resolve(fields, values, methods, nonEmpty);
    if (method !== undefined) put(fields, at.method, method);

    const urlPath = resolve(fields, values, urlPaths, nonEmpty);
    if (urlPath !== undefined) put(fields, at.urlPath, urlPath);
    const queryText = query && values[query.index];
    if (queryText) {
      // Sites write a URL query string; API rows write SOQL, which is no URL query.
      if (queryText.startsWith("?")) put(fields, at.urlQuery, queryText.slice(1));
      else keep(fields, query!, queryText);
    }
    const urlOriginal = resolve(fields, values, urls, nonEmpty);
    if (urlOriginal !== undefined) {
      fields[at.url.original] = urlOriginal;
      const parts = ctx.urls.split(urlOriginal);
      if (parts !== undefined) {
        fields[at.url.full] = urlOriginal;
        fields[at.url.scheme] = parts.scheme;
        fields[at.url.domain] = parts.domain;
        if (parts.port !== undefined) fields[at.url.port] = parts.port;
        // The row's own path and query columns say more than the URL's.
        if (parts.path !== undefined) fields[at.urlPath] ??= parts.path;
        if (parts.query !== undefined) fields[at.urlQuery] ??= parts.query;
        if (parts.fragment !== undefined) fields[at.url.fragment] = parts.fragment;
      }
    }

    const relatedUserNames: string[] = [];
    if (username && values[username.index]) {
      const name = values[username.index];
      if (!put(fields, at.userName, name)) keep(fields, username, name);
      relatedUserNames.push(name);
    }
    for (const c of users) {
      const name = values[c.index];
      if (name === "") continue;
      if (!put(fields, name.includes("@") ? at.userEmail : at.userName, name)) keep(fields, c, name);
      if (!relatedUserNames.includes(name)) relatedUserNames.push(name);
    }
    for (const c of relatedUsers) {
      const name = values[c.index];
      if (name !== "" && !relatedUserNames.includes(name)) relatedUserNames.push(name);
    }

    const tls = tlsProtocol && values[tlsProtocol.index];
    if (tls) setTls(fields, at.tlsProtocol, at.tlsVersion, tls);

    const uaString = browserType && values[browserType.index];
    if (uaString) setUserAgent(fields, at.agent, uaString, ctx.userAgents);
    const uaCode = userAgent && values[userAgent.index];
    if (uaCode) {
      if (/^\d+$/.test(uaCode)) {
        put(fields, at.agentCode, Number(uaCode));
        const name = CODED_COLUMNS.USER_AGENT(uaCode);
        if (name !== undefined) put(fields, at.agentCodeName, name);
      } else if (!uaString) setUserAgent(fields, at.agent, uaCode, ctx.userAgents);
      else put(fields, at.agentOriginal, uaCode);
    }

    if (relatedIps.length > 0) fields[at.relatedIp] = relatedIps;
    if (relatedUserNames.length > 0) fields[at.relatedUser] = relatedUserNames;
    // The raw event is what the row's identity is taken over: the collector passes the one it sent.
    const json = original ?? rowJson(values);
    fields[at.id] = eventId(json);
    if (ctx.includeOriginal) fields[at.original] = json;
    return write(fields);
  };
}

/** event.type of a refused login. */
const INFO: readonly string[] = ["info"];

/**
 * The winner of a precedence group: the first column whose value `accept` takes. The other
 * non-empty columns keep their own field unless they say the same thing, so nothing is lost.
 */
function resolve(
  fields: Fields,
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
    else if (accepted === undefined || accepted !== winner) keep(fields, c, raw);
  }
  return winner;
}

/** Puts a column's value at its own `salesforce.*` field, typed, or as written when it does not fit. */
function keep(fields: Fields, c: Column, raw: string): void {
  const value = convert(c.type, raw);
  put(fields, value === undefined ? c.unparsed : c.generic, value ?? raw);
}

/**
 * Sets a field. Returns false, leaving the field as it was, when it already holds a different
 * value: the caller then keeps the value elsewhere instead of losing one.
 */
export function put(fields: Fields, slot: number, value: FieldValue): boolean {
  const existing = fields[slot];
  if (existing !== undefined && existing !== value) return false;
  fields[slot] = value;
  return true;
}

function first(values: readonly string[], group: readonly Column[]): string | undefined {
  for (const c of group) if (values[c.index] !== "") return values[c.index];
  return undefined;
}

const nonEmpty = (value: string) => value;
const validIp = (value: string) => (isIP(value) !== 0 ? value : undefined);

/** FORWARDED_FOR_IP is an X-Forwarded-For list; only real addresses are related IPs. */
export function addIps(related: string[], value: string): void {
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
function geoFromClientGeo(value: string): { country_name: string; region_name?: string } {
  const slash = value.indexOf("/");
  if (slash === -1) return { country_name: value };
  const geo: { country_name: string; region_name?: string } = { country_name: value.slice(0, slash).trim() };
  const region = value.slice(slash + 1).trim();
  if (region !== "") geo.region_name = region;
  return geo;
}

export interface AgentSlots {
  original: number;
  name: number;
  version: number;
  os: number;
  device: number;
}

/** The user_agent.* slots setUserAgent fills, claimed in the layout's order where they are called. */
export function userAgentSlots(slot: (...path: string[]) => number): AgentSlots {
  return {
    original: slot("user_agent", "original"),
    name: slot("user_agent", "name"),
    version: slot("user_agent", "version"),
    os: slot("user_agent", "os"),
    device: slot("user_agent", "device"),
  };
}

export function setUserAgent(fields: Fields, slots: AgentSlots, ua: string, parser: UserAgentParser): void {
  fields[slots.original] = ua;
  const parsed = parser.parse(ua);
  // BROWSER_NAME and BROWSER_VERSION are Salesforce's own reading: the parser fills only gaps.
  if (parsed.name !== undefined) fields[slots.name] ??= parsed.name;
  if (parsed.version !== undefined) fields[slots.version] ??= parsed.version;
  if (parsed.os !== undefined) fields[slots.os] = parsed.os;
  if (parsed.device !== undefined) fields[slots.device] = parsed.device;
}

/**
 * ECS splits TLSv1.3 (files) or TLS 1.3 (objects) into a protocol (tls) and a version (1.3); a
 * value of another shape is the version.
 */
export function setTls(fields: Fields, protocolSlot: number, versionSlot: number, tls: string): void {
  const version = /^(TLS|SSL)v? ?(\d+(?:\.\d+)?)$/i.exec(tls);
  if (version !== null) put(fields, protocolSlot, version[1].toLowerCase());
  put(fields, versionSlot, version !== null ? version[2] : tls);
}

/** `salesforce.<column in snake case>`, or `.value` under it when one of Sekoia.io's objects has the name. */
function genericPath(column: string): Path {
  const snake = snakeCase(column);
  return RESERVED.has(snake) ? ["salesforce", snake, "value"] : ["salesforce", snake];
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
