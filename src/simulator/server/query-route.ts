import type { IncomingMessage } from "node:http";
import { EMPTY_ID, type ObjectSpec, objectSpec } from "../objects/index.js";
import { checkBigObjectQuery } from "../soql/big-object.js";
import {
  parseSoql,
  type PreparedQuery,
  prepareQuery,
  type SObjectSchema,
  type SoqlFieldType,
  type SoqlQuery,
  type SoqlRecord,
  SoqlError,
} from "../soql/index.js";
import type { SimulatorContext } from "./context.js";
import { apiErrorBody } from "./error-bodies.js";
import { EVENT_LOG_FILE, eventLogFileSchema, recordJson, toRecord } from "./event-log-file.js";
import { arraySource, type PageSource, queryPage, streamSource, truncatedPage } from "./query-locators.js";
import { sobjectRecordJson } from "./sobject-json.js";

export interface JsonAnswer {
  status: number;
  body: string;
}

const MIN_BATCH = 200;
const MAX_BATCH = 2000;

/** Sforce-Query-Options: batchSize=N, held to 200..2000 like Salesforce, then to the scenario's cap. */
export function pageSize(req: IncomingMessage, cap: number): number {
  const match = /batchSize\s*=\s*(\d+)/i.exec(String(req.headers["sforce-query-options"] ?? ""));
  const asked = match === null ? MAX_BATCH : Math.min(MAX_BATCH, Math.max(MIN_BATCH, Number(match[1])));
  return Math.min(asked, cap);
}

function nextRecordsUrl(version: string, locatorId: string) {
  return (offset: number) => `/services/data/v${version}/query/${locatorId}-${offset}`;
}

/** The sObject a statement reads, as written, for faults that target one (no parsing, no errors). */
export function queriedObject(soql: string | null): string | undefined {
  return /\bFROM\s+([A-Za-z_][A-Za-z0-9_]*)/i.exec(soql ?? "")?.[1];
}

/** The schema of an object this user may query at `major`; undefined answers INVALID_TYPE. */
function schemaLookup(context: SimulatorContext, major: number) {
  return (name: string): SObjectSchema | undefined => {
    if (name.toLowerCase() === EVENT_LOG_FILE.toLowerCase()) {
      return context.scenario.org.event_log_file_access
        ? eventLogFileSchema(context.scenario.org.hourly)
        : undefined;
    }
    const spec = objectSpec(name);
    return spec !== undefined && context.objects.canRead(spec, major)
      ? context.objects.schema(spec)
      : undefined;
  };
}

function typesOf(spec: ObjectSpec): ReadonlyMap<string, SoqlFieldType> {
  return new Map(spec.fields.map((f) => [f.name, f.type]));
}

/**
 * GET /query?q=: the SOQL engine over what the org shows now. EventLogFile and the standard objects
 * are answered whole (thousands of records); a big object's answer is generated while it is paged
 * (see bigObjectAnswer). Pages beyond the first are served from a query locator.
 */
export function answerQuery(
  context: SimulatorContext,
  req: IncomingMessage,
  soql: string | null,
  version: string,
  major: number,
): JsonAnswer {
  if (soql === null || soql.trim() === "") {
    return { status: 400, body: apiErrorBody("MALFORMED_QUERY", "SOQL statements cannot be empty or null") };
  }
  const lookup = schemaLookup(context, major);
  try {
    const query = parseSoql(soql);
    const prepared = prepareQuery(query, lookup);
    const now = context.clock.now();
    const spec = objectSpec(prepared.object.name);
    if (spec?.kind === "big") {
      const answer = bigObjectAnswer(context, spec, query, prepared, version);
      if (!context.scenario.query.big_object_locators) {
        return {
          status: 200,
          body: truncatedPage(answer, pageSize(req, context.scenario.query.max_page_size)),
        };
      }
      return page(context, req, version, spec.name, answer);
    }

    const records: SoqlRecord[] =
      spec === undefined
        ? context.org.files(now).map((entry) => toRecord(entry, version, context.identity.systemUserId18))
        : context.objects.standardRecords(spec, now.getTime());
    if (prepared.count) {
      const total = prepared.run(records, now).length;
      return { status: 200, body: `{"totalSize":${total},"done":true,"records":[]}` };
    }
    const types = spec === undefined ? undefined : typesOf(spec);
    const json = (r: SoqlRecord) =>
      types === undefined
        ? recordJson(r, prepared.fields, String(r.Id), version)
        : sobjectRecordJson(prepared.object.name, types, r, prepared.fields, String(r.Id), version);
    // Every record's attributes name its Id, selected or not: run a twin query that selects it too.
    const runner = prepared.fields.includes("Id") ? prepared : prepareQuery(withId(query), lookup);
    const answer = arraySource(runner.run(records, now).map(json));
    return page(context, req, version, prepared.object.name, answer);
  } catch (err) {
    if (err instanceof SoqlError) return { status: 400, body: apiErrorBody(err.errorCode, err.message) };
    throw err;
  }
}

/** The first page, and a locator when there are more. */
function page(
  context: SimulatorContext,
  req: IncomingMessage,
  version: string,
  object: string,
  answer: PageSource,
): JsonAnswer {
  const size = pageSize(req, context.scenario.query.max_page_size);
  if (answer.totalSize <= size) return { status: 200, body: queryPage(answer, 0, size, () => "") };
  const locator = context.locators.create(answer, object, size);
  return { status: 200, body: queryPage(answer, 0, size, nextRecordsUrl(version, locator.id)) };
}

/**
 * A big object's answer, never held whole: the rows of the queried EventDate range are generated
 * hour by hour (and burst rows by index) as pages are read, in EventDate order (descending with
 * ORDER BY EventDate DESC, the only order allowed; ascending, the index order, without ORDER BY).
 * totalSize comes from a first pass that counts without building rows when the filter is only a
 * range on EventDate, as a collector's window query is.
 */
function bigObjectAnswer(
  context: SimulatorContext,
  spec: ObjectSpec,
  query: SoqlQuery,
  prepared: PreparedQuery,
  version: string,
): PageSource {
  const canonical = (name: string) =>
    spec.fields.find(
      (f) => f.name.toLowerCase() === name.replace(new RegExp(`^${spec.name}\\.`, "i"), "").toLowerCase(),
    )?.name ?? name;
  const range = checkBigObjectQuery(query, spec.name, spec.indexes ?? [], spec.timestamp, canonical);
  const now = context.clock.nowMs();
  const matches = prepared.matcher(new Date(now));
  const limit = query.limit ?? Number.POSITIVE_INFINITY;
  const types = typesOf(spec);
  const objects = context.objects;
  const slots = () => objects.visible(spec, now, range.lo, range.hi, range.descending);
  function* matching(): Generator<SoqlRecord> {
    let n = 0;
    for (const slot of slots()) {
      if (n >= limit) return;
      const record = objects.record(spec, slot);
      if (!matches(record)) continue;
      n++;
      yield record;
    }
  }
  let total = 0;
  if (range.exact) for (const _ of slots()) if (++total >= limit) break;
  if (!range.exact) for (const _ of matching()) total++;
  return streamSource(Math.min(total, limit), function* () {
    for (const record of matching()) {
      yield sobjectRecordJson(spec.name, types, record, prepared.fields, EMPTY_ID, version);
    }
  });
}

function withId(query: SoqlQuery): SoqlQuery {
  return { ...query, fields: [...query.fields, { text: "Id", offset: query.object.offset }] };
}

/** GET /query/{locator}-{offset}: a further page, for as long as the locator lives. */
export function answerQueryMore(
  context: SimulatorContext,
  locatorId: string,
  offset: number,
  version: string,
): JsonAnswer {
  const locator = context.locators.use(locatorId);
  if (locator === undefined || offset > locator.source.totalSize) {
    return { status: 400, body: apiErrorBody("INVALID_QUERY_LOCATOR", "invalid query locator") };
  }
  return {
    status: 200,
    body: queryPage(locator.source, offset, locator.pageSize, nextRecordsUrl(version, locator.id)),
  };
}
