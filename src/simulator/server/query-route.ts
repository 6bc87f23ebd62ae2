import type { IncomingMessage } from "node:http";
import { parseSoql, prepareQuery, type SoqlQuery, SoqlError } from "../soql/index.js";
import type { SimulatorContext } from "./context.js";
import { EVENT_LOG_FILE, eventLogFileSchema, recordJson, toRecord } from "./event-log-file.js";
import { queryPage } from "./query-locators.js";
import { apiErrorBody } from "./error-bodies.js";

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

/**
 * GET /query?q=: the SOQL engine over the files visible now. The whole answer is computed at once
 * (EventLogFile answers are thousands of records, not millions); pages beyond the first are served
 * from a query locator.
 */
export function answerQuery(
  context: SimulatorContext,
  req: IncomingMessage,
  soql: string | null,
  version: string,
): JsonAnswer {
  if (soql === null || soql.trim() === "") {
    return { status: 400, body: apiErrorBody("MALFORMED_QUERY", "SOQL statements cannot be empty or null") };
  }
  const hourly = context.scenario.org.hourly;
  const lookup = (name: string) =>
    context.scenario.org.event_log_file_access && name.toLowerCase() === EVENT_LOG_FILE.toLowerCase()
      ? eventLogFileSchema(hourly)
      : undefined;
  try {
    const query = parseSoql(soql);
    const prepared = prepareQuery(query, lookup);
    const now = context.clock.now();
    const files = context.org
      .files(now)
      .map((entry) => toRecord(entry, version, context.identity.systemUserId18));
    if (prepared.count) {
      const total = prepared.run(files, now).length;
      return { status: 200, body: `{"totalSize":${total},"done":true,"records":[]}` };
    }
    // Every record's attributes name its Id, selected or not: run a twin query that selects it too.
    const runner = prepared.fields.includes("Id") ? prepared : prepareQuery(withId(query), lookup);
    const records = runner.run(files, now).map((r) => recordJson(r, prepared.fields, String(r.Id), version));
    const size = pageSize(req, context.scenario.query.max_page_size);
    if (records.length <= size) return { status: 200, body: queryPage(records, 0, size, () => "") };
    const locator = context.locators.create(records, size);
    return { status: 200, body: queryPage(records, 0, size, nextRecordsUrl(version, locator.id)) };
  } catch (err) {
    if (err instanceof SoqlError) return { status: 400, body: apiErrorBody(err.errorCode, err.message) };
    throw err;
  }
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
  if (locator === undefined || offset > locator.records.length) {
    return { status: 400, body: apiErrorBody("INVALID_QUERY_LOCATOR", "invalid query locator") };
  }
  return {
    status: 200,
    body: queryPage(locator.records, offset, locator.pageSize, nextRecordsUrl(version, locator.id)),
  };
}
