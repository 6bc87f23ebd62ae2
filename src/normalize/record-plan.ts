import { isIP } from "node:net";
import { eventId } from "../core/identity.js";
import { columnType, convert, DIRECT_FIELDS, elfColumnName, snakeCase } from "./columns.js";
import { DocumentLayout, type FieldValue, type Fields, type Path } from "./layout.js";
import { OBJECT_KEY } from "../core/event.js";
import { type ObjectMapping, objectMapping } from "./objects.js";
import { addIps, ECS_VERSION, type PlanContext, put, setTls, setUserAgent, userAgentSlots } from "./plan.js";
import { parseSalesforceTime } from "./timestamp.js";

/**
 * Encodes one record (as Salesforce returns it, without `attributes`) as the JSON text of its ECS
 * document; `original` is its raw JSON when the caller has built it (event.original).
 */
export type RecordEncoder = (record: Readonly<Record<string, unknown>>, original?: string) => string;

/** What a field shared by several objects is: its ECS place, or the per-record work it takes. */
type Role =
  | { kind: "path"; path: Path; elfColumn?: string }
  | { kind: "time" | "identity" | "score" | "outcome" | "object" | "generic" }
  | {
      kind:
        | "ip"
        | "relatedIp"
        | "user"
        | "relatedUser"
        | "url"
        | "tls"
        | "browser"
        | "platform"
        | "userAgent";
    }
  | { kind: "geo"; key: string }
  | { kind: "lat" | "lon" };

const role = (
  kind: "ip" | "relatedIp" | "user" | "relatedUser" | "url" | "tls" | "browser" | "platform" | "userAgent",
) => ({ kind }) as const;
const geo = (key: string) => ({ kind: "geo", key }) as const;

/** Fields with one meaning in every object that has them. */
const SHARED_FIELDS: Readonly<Record<string, Role>> = {
  SourceIp: role("ip"),
  ForwardedForIp: role("relatedIp"),
  CurrentIp: role("relatedIp"),
  PreviousIp: role("relatedIp"),
  Username: role("user"),
  // LoginAsEvent's administrator, SetupAuditTrail's Login-As user: people the event is about too.
  DelegatedUsername: role("relatedUser"),
  DelegateUser: role("relatedUser"),
  LoginUrl: role("url"),
  TlsProtocol: role("tls"),
  HttpMethod: { kind: "path", path: ["http", "request", "method"] },
  Browser: role("browser"),
  Platform: role("platform"),
  UserAgent: role("userAgent"),
  CurrentUserAgent: role("userAgent"),
  // The record's own geolocation of the login (LoginHistory has only LoginGeoId, a LoginGeo Id).
  City: geo("city_name"),
  Country: geo("country_name"),
  CountryIso: geo("country_iso_code"),
  PostalCode: geo("postal_code"),
  Subdivision: geo("region_name"),
  LoginLatitude: { kind: "lat" },
  Latitude: { kind: "lat" },
  LoginLongitude: { kind: "lon" },
  Longitude: { kind: "lon" },
};

/** Salesforce's REST form of a date-time, `2026-11-20T09:30:00.123+0000`. */
const SALESFORCE_DATETIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)$/;

/** `Chrome 120`, `Python Requests 2.28`: Salesforce's reading of a browser, name then version. */
const BROWSER = /^(.*\S)\s+(\d[\w.]*)$/;

/** The record's fields, relationships flattened (`CreatedBy.Username`); empty and null values are no fields. */
export function recordFields(record: Readonly<Record<string, unknown>>): [string[], unknown[]] {
  const names: string[] = [];
  const values: unknown[] = [];
  const add = (prefix: string, fields: Readonly<Record<string, unknown>>) => {
    for (const name in fields) {
      const value = fields[name];
      if (value === null || value === undefined || value === "" || name === "attributes") continue;
      if (typeof value === "object" && !Array.isArray(value))
        add(`${prefix}${name}.`, value as Record<string, unknown>);
      else {
        names.push(prefix + name);
        values.push(value);
      }
    }
  };
  add("", record);
  return [names, values];
}

/**
 * Compiles the normalization of one object's records that hold these fields (the objects source
 * selects the same fields for every record of an object, so one plan serves them all): as for a
 * header, every decision on the field names is taken once, and every field gets its slot.
 */
export function compileRecordPlan(
  object: string,
  names: readonly string[],
  ctx: PlanContext,
): (values: readonly unknown[], original: string) => string {
  const mapping = objectMapping(object);
  const layout = new DocumentLayout();
  const slot = (...path: string[]) => layout.slot(path);
  const timestampSlot = slot("@timestamp");
  layout.constant(["event", "kind"], mapping.kind);
  layout.constant(["event", "category"], mapping.category);
  const at = {
    type: slot("event", "type"),
    action: slot("event", "action"),
    outcome: slot("event", "outcome"),
  };
  layout.constant(["event", "dataset"], object);
  layout.constant(["event", "code"], object);
  layout.constant(["event", "module"], "salesforce");
  layout.constant(["event", "provider"], mapping.provider);
  const ev = {
    id: slot("event", "id"),
    riskScore: slot("event", "risk_score"),
    severity: slot("event", "severity"),
    original: slot("event", "original"),
  };
  const namespace = ["salesforce", snakeCase(elfColumnName(object))];
  const steps = names.map((name) => {
    const r = roleOf(name, mapping);
    const generic = layout.slot([...namespace, snakeCase(elfColumnName(name))]);
    const target = r.kind === "path" ? layout.slot(r.path) : -1;
    return { role: r, generic, target };
  });
  const set = {
    sourceIp: slot("source", "ip"),
    sourceAddress: slot("source", "address"),
    sourceGeo: slot("source", "geo"),
    sourceAs: slot("source", "as"),
    userName: slot("user", "name"),
    url: {
      original: slot("url", "original"),
      full: slot("url", "full"),
      scheme: slot("url", "scheme"),
      domain: slot("url", "domain"),
      port: slot("url", "port"),
      path: slot("url", "path"),
      query: slot("url", "query"),
    },
    tlsProtocol: slot("tls", "version_protocol"),
    tlsVersion: slot("tls", "version"),
    agent: userAgentSlots(slot),
    relatedIp: slot("related", "ip"),
    relatedUser: slot("related", "user"),
  };
  layout.constant(["ecs", "version"], ECS_VERSION);
  const outcomeOf = compileOutcome(mapping);
  const write = layout.compile();
  const fields = layout.fields();

  return (values, original) => {
    fields.fill(undefined);
    fields[at.type] = mapping.type;
    let outcome = mapping.outcome === "success" ? "success" : undefined;
    let identity: string | undefined;
    const relatedIps: string[] = [];
    const relatedUsers: string[] = [];
    const ownGeo: Record<string, FieldValue> = {};
    let lat: number | undefined;
    let lon: number | undefined;
    let browser: string | undefined;
    let platform: string | undefined;
    let platformSlot = -1;
    let sourceIp: string | undefined;

    for (let i = 0; i < steps.length; i++) {
      const { role: r, generic, target } = steps[i];
      const raw = values[i];
      const value = fieldValue(raw);
      const text = typeof raw === "string" ? raw : undefined;
      switch (r.kind) {
        case "time": {
          const instant = text !== undefined ? parseSalesforceTime(text) : undefined;
          if (instant !== undefined) fields[timestampSlot] = instant;
          else put(fields, generic, value);
          break;
        }
        case "identity":
          identity = String(raw);
          fields[ev.id] = identity;
          break;
        case "score":
          if (typeof raw === "number") {
            fields[ev.riskScore] = raw;
            if (raw >= 0 && raw <= 1) fields[ev.severity] = Math.round(raw * 100);
          } else put(fields, generic, value);
          break;
        case "outcome":
          outcome = outcomeOf(String(raw));
          put(fields, generic, value);
          break;
        case "path": {
          // A field in the place of an Event Log File column takes that column's type.
          const typed = r.elfColumn !== undefined ? convert(columnType(r.elfColumn), String(raw)) : value;
          if (typed === undefined || !put(fields, target, typed)) put(fields, generic, value);
          else if (target === set.userName) addName(relatedUsers, String(raw));
          break;
        }
        case "ip":
          if (text !== undefined && isIP(text) !== 0 && sourceIp === undefined) sourceIp = text;
          else put(fields, generic, value);
          break;
        case "relatedIp":
          if (text !== undefined) addIps(relatedIps, text);
          put(fields, generic, value);
          break;
        case "user":
          if (!put(fields, set.userName, value)) put(fields, generic, value);
          addName(relatedUsers, String(raw));
          break;
        case "relatedUser":
          addName(relatedUsers, String(raw));
          put(fields, generic, value);
          break;
        case "url":
          if (text !== undefined) setUrl(fields, set.url, text, ctx);
          else put(fields, generic, value);
          break;
        case "tls":
          if (text !== undefined) setTls(fields, set.tlsProtocol, set.tlsVersion, text);
          else put(fields, generic, value);
          break;
        case "userAgent":
          // A browser's string, not a numeric client code (which stays where it is).
          if (text !== undefined && !/^\d+$/.test(text) && fields[set.agent.original] === undefined)
            setUserAgent(fields, set.agent, text, ctx.userAgents);
          else put(fields, generic, value);
          break;
        case "browser":
          browser = text;
          put(fields, generic, value);
          break;
        case "platform":
          platform = text;
          platformSlot = generic;
          if (text === undefined) put(fields, generic, value);
          break;
        case "geo":
          ownGeo[r.key] = value;
          break;
        case "lat":
        case "lon":
          if (typeof raw === "number") {
            if (r.kind === "lat") lat = raw;
            else lon = raw;
          }
          put(fields, generic, value);
          break;
        case "object":
          // The object's name, which event.dataset holds; another value is kept.
          if (raw !== object) put(fields, generic, value);
          break;
        case "generic":
          put(fields, generic, value);
          break;
      }
    }

    if (outcome !== undefined) {
      fields[at.outcome] = outcome;
      if (outcome === "failure" && mapping.typeOnFailure !== undefined)
        fields[at.type] = mapping.typeOnFailure;
    }
    fields[at.action] ??= mapping.action;

    if (browser !== undefined) {
      // Salesforce's own reading of the browser; a parsed user agent string says more and wins.
      const parts = BROWSER.exec(browser);
      fields[set.agent.name] ??= parts !== null ? parts[1] : browser;
      if (parts !== null) fields[set.agent.version] ??= parts[2];
    }
    if (platform !== undefined) {
      if (fields[set.agent.os] === undefined) fields[set.agent.os] = { name: platform };
      else put(fields, platformSlot, platform);
    }

    if (lat !== undefined && lon !== undefined) ownGeo.location = { lat, lon };
    const hasOwnGeo = Object.keys(ownGeo).length > 0;
    if (sourceIp !== undefined) {
      fields[set.sourceIp] = sourceIp;
      fields[set.sourceAddress] = sourceIp;
      relatedIps.unshift(sourceIp);
      const lookedUp = ctx.geoip?.lookup(sourceIp);
      // The record's own geolocation is Salesforce's: it wins over the file's.
      if (lookedUp?.geo !== undefined) fields[set.sourceGeo] = { ...lookedUp.geo, ...ownGeo };
      else if (hasOwnGeo) fields[set.sourceGeo] = ownGeo;
      if (lookedUp?.as !== undefined) fields[set.sourceAs] = lookedUp.as;
    } else if (hasOwnGeo) fields[set.sourceGeo] = ownGeo;

    const ips = [...new Set(relatedIps)];
    if (ips.length > 0) fields[set.relatedIp] = ips;
    if (relatedUsers.length > 0) fields[set.relatedUser] = relatedUsers;
    // The object's own identity, so a SIEM drops the same event read twice; without one, the raw JSON's.
    if (!identity) fields[ev.id] = eventId(original);
    if (ctx.includeOriginal) fields[ev.original] = original;
    return write(fields);
  };
}

function roleOf(name: string, mapping: ObjectMapping): Role {
  if (name === mapping.time) return { kind: "time" };
  if (name === mapping.identity) return { kind: "identity" };
  if (name === mapping.score) return { kind: "score" };
  if (typeof mapping.outcome === "object" && name === mapping.outcome.field) return { kind: "outcome" };
  if (name === OBJECT_KEY) return { kind: "object" };
  const own = mapping.fields?.[name];
  if (own !== undefined) return { kind: "path", path: own.split(".") };
  if (Object.hasOwn(SHARED_FIELDS, name)) return SHARED_FIELDS[name];
  const column = elfColumnName(name);
  const direct = Object.hasOwn(DIRECT_FIELDS, column) ? DIRECT_FIELDS[column] : undefined;
  if (direct !== undefined) return { kind: "path", path: direct.split("."), elfColumn: column };
  return { kind: "generic" };
}

/** A record value as a document value: date-times as ISO 8601 UTC, anything structured as JSON text. */
function fieldValue(raw: unknown): FieldValue {
  if (typeof raw === "string") return SALESFORCE_DATETIME.test(raw) ? (parseSalesforceTime(raw) ?? raw) : raw;
  if (typeof raw === "number" || typeof raw === "boolean") return raw;
  return JSON.stringify(raw);
}

function addName(names: string[], name: string): void {
  if (!names.includes(name)) names.push(name);
}

interface UrlSlots {
  original: number;
  full: number;
  scheme: number;
  domain: number;
  port: number;
  path: number;
  query: number;
}

function setUrl(fields: Fields, slots: UrlSlots, url: string, ctx: PlanContext): void {
  fields[slots.original] = url;
  const parts = ctx.urls.split(url);
  if (parts === undefined) return;
  fields[slots.full] = url;
  fields[slots.scheme] = parts.scheme;
  fields[slots.domain] = parts.domain;
  if (parts.port !== undefined) fields[slots.port] = parts.port;
  if (parts.path !== undefined) fields[slots.path] ??= parts.path;
  if (parts.query !== undefined) fields[slots.query] ??= parts.query;
}

function compileOutcome(mapping: ObjectMapping): (value: string) => "success" | "failure" | undefined {
  const rule = mapping.outcome;
  if (typeof rule !== "object") return () => undefined;
  const success = new Set(rule.success);
  const failure = rule.failure && new Set(rule.failure);
  return (value) => {
    if (success.has(value)) return "success";
    if (failure === undefined || failure.has(value)) return "failure";
    return undefined;
  };
}
