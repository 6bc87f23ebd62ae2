import { isIP } from "node:net";

/** The ECS types of the fields the normalizer emits (ECS 8.17 field reference). */
type EcsType = "keyword" | "keyword[]" | "long" | "float" | "date" | "ip" | "ip[]" | "geo_point";

const ECS_TYPES: Record<string, EcsType> = {
  "@timestamp": "date",
  "ecs.version": "keyword",
  "event.kind": "keyword",
  "event.category": "keyword[]",
  "event.type": "keyword[]",
  "event.action": "keyword",
  "event.outcome": "keyword",
  "event.dataset": "keyword",
  "event.module": "keyword",
  "event.provider": "keyword",
  "event.id": "keyword",
  "event.original": "keyword",
  "event.reason": "keyword",
  "event.code": "keyword",
  "event.duration": "long",
  "event.start": "date",
  "event.risk_score": "float",
  "event.severity": "long",
  message: "keyword",
  "file.name": "keyword",
  "organization.id": "keyword",
  "user.id": "keyword",
  "user.name": "keyword",
  "user.email": "keyword",
  "source.ip": "ip",
  "source.address": "keyword",
  "source.geo.continent_code": "keyword",
  "source.geo.continent_name": "keyword",
  "source.geo.country_iso_code": "keyword",
  "source.geo.country_name": "keyword",
  "source.geo.region_iso_code": "keyword",
  "source.geo.region_name": "keyword",
  "source.geo.city_name": "keyword",
  "source.geo.postal_code": "keyword",
  "source.geo.timezone": "keyword",
  "source.geo.location": "geo_point",
  "source.as.number": "long",
  "source.as.organization.name": "keyword",
  "related.ip": "ip[]",
  "related.user": "keyword[]",
  "url.original": "keyword",
  "url.full": "keyword",
  "url.scheme": "keyword",
  "url.domain": "keyword",
  "url.port": "long",
  "url.path": "keyword",
  "url.query": "keyword",
  "url.fragment": "keyword",
  "http.request.method": "keyword",
  "http.request.bytes": "long",
  "http.request.referrer": "keyword",
  "http.response.bytes": "long",
  "http.response.status_code": "long",
  "http.response.mime_type": "keyword",
  "tls.cipher": "keyword",
  "tls.version": "keyword",
  "tls.version_protocol": "keyword",
  "user_agent.original": "keyword",
  "user_agent.name": "keyword",
  "user_agent.version": "keyword",
  "user_agent.os.name": "keyword",
  "user_agent.os.version": "keyword",
  "user_agent.device.name": "keyword",
  "host.id": "keyword",
  "host.os.name": "keyword",
  "host.os.version": "keyword",
  "network.application": "keyword",
};

const ALLOWED_OUTCOMES = new Set(["success", "failure", "unknown"]);

function fits(type: EcsType, value: unknown): boolean {
  switch (type) {
    case "keyword":
      return typeof value === "string" && value !== "";
    case "keyword[]":
      return Array.isArray(value) && value.length > 0 && value.every((v) => fits("keyword", v));
    case "long":
      return Number.isSafeInteger(value);
    case "float":
      return Number.isFinite(value);
    case "date":
      return typeof value === "string" && !Number.isNaN(Date.parse(value)) && /^\d{4}-\d\d-\d\dT/.test(value);
    case "ip":
      return typeof value === "string" && isIP(value) !== 0;
    case "ip[]":
      return Array.isArray(value) && value.length > 0 && value.every((v) => fits("ip", v));
    case "geo_point": {
      const p = value as { lat?: unknown; lon?: unknown };
      return typeof p?.lat === "number" && typeof p?.lon === "number";
    }
  }
}

/** Leaves of a document, by dotted path; arrays and geo points are leaves. */
export function leaves(doc: Record<string, unknown>, prefix = ""): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [key, value] of Object.entries(doc)) {
    const path = prefix + key;
    if (
      value !== null &&
      typeof value === "object" &&
      !Array.isArray(value) &&
      ECS_TYPES[path] !== "geo_point"
    )
      out.push(...leaves(value as Record<string, unknown>, `${path}.`));
    else out.push([path, value]);
  }
  return out;
}

/**
 * What is wrong with a document against the ECS types: an ECS field of the wrong type, a field
 * outside ECS and outside `salesforce.*`, a `salesforce.*` value that is not a scalar.
 */
export function ecsTypeProblems(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [path, value] of leaves(doc)) {
    const type = ECS_TYPES[path];
    if (type !== undefined) {
      if (!fits(type, value)) problems.push(`${path}: ${JSON.stringify(value)} is not a ${type}`);
    } else if (path.startsWith("salesforce.")) {
      const scalar =
        (typeof value === "string" && value !== "") || typeof value === "boolean" || Number.isFinite(value);
      if (!scalar) problems.push(`${path}: ${JSON.stringify(value)} is not a keyword, number or boolean`);
    } else problems.push(`${path}: not an ECS field this normalizer declares`);
  }
  const outcome = (doc.event as { outcome?: string } | undefined)?.outcome;
  if (outcome !== undefined && !ALLOWED_OUTCOMES.has(outcome)) problems.push(`event.outcome: ${outcome}`);
  return problems;
}

/** An ECS document as a test reads it: the JSON text the normalizer writes, parsed. */
export type EcsDocument = Record<string, unknown>;

/** Turns a row encoder into a function that returns the parsed document. */
export function parsed(
  encode: (values: readonly string[], original?: string) => string,
): (values: readonly string[], original?: string) => EcsDocument {
  return (values, original) => JSON.parse(encode(values, original)) as EcsDocument;
}
