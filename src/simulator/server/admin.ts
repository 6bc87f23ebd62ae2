import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { ZodError } from "zod";
import { describeIssue } from "../../config/load.js";
import { formatDuration, parseDuration } from "../../core/duration.js";
import { OBJECTS, objectSpec } from "../objects/index.js";
import type { ActivePubSubFault } from "../pubsub/faults.js";
import type { SimulatorContext } from "./context.js";
import { fieldsJson } from "./sobject-json.js";
import type { ActiveFault } from "./faults.js";
import { readBody } from "./request-body.js";
import { sendBody, sendJson } from "./respond.js";

/**
 * The simulator's own routes, under /__sim/ and without a token: the clock, ground truth, faults,
 * statistics. They are not Salesforce's and never count against the API allowance.
 */
export async function answerAdmin(
  context: SimulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const key = `${req.method} ${url.pathname.replace(/\/+$/, "")}`;
  try {
    switch (key) {
      case "GET /__sim/clock":
        return sendJson(req, res, 200, clockJson(context));
      case "POST /__sim/clock": {
        const body = await jsonBody(req);
        if (typeof body.time === "string") context.clock.set(new Date(body.time));
        else if (typeof body.advance === "string") context.clock.advance(body.advance);
        else throw new RangeError('send {"time": "2026-03-11T15:00:00Z"} or {"advance": "3h"}');
        return sendJson(req, res, 200, clockJson(context));
      }
      case "GET /__sim/rows":
        return sendGroundTruth(context, req, res);
      case "GET /__sim/files":
        return sendFiles(context, req, res);
      case "GET /__sim/objects/rows":
        return sendObjectGroundTruth(context, req, res, url.searchParams.get("object"));
      case "GET /__sim/faults":
        return sendJson(req, res, 200, JSON.stringify(context.faults.list().map(faultJson)));
      case "POST /__sim/faults": {
        const body: unknown = JSON.parse((await readBody(req)) || "null");
        const added = (Array.isArray(body) ? body : [body]).map((spec) => context.faults.add(spec));
        return sendJson(req, res, 201, JSON.stringify(added.map(faultJson)));
      }
      case "DELETE /__sim/faults":
        context.faults.clear();
        res.writeHead(204).end();
        return;
      case "GET /__sim/stats":
        return sendJson(req, res, 200, statsJson(context));
      case "GET /__sim/pubsub":
        return sendJson(req, res, 200, pubSubJson(context));
      case "POST /__sim/pubsub/retention": {
        const body = await jsonBody(req);
        const ms = typeof body.retention === "string" ? parseDuration(body.retention) : undefined;
        if (ms === undefined) throw new RangeError('send {"retention": "1h"} (units ms, s, m, h, d)');
        context.pubsub.retentionMs = ms;
        return sendJson(req, res, 200, pubSubJson(context));
      }
      case "GET /__sim/pubsub/published":
        return sendJson(req, res, 200, publishedJson(context, url));
      case "GET /__sim/pubsub/events":
        return sendPublishedEvents(context, req, res, url);
      case "GET /__sim/pubsub/subscriptions":
        return sendJson(req, res, 200, JSON.stringify(context.pubsub.subscriptions()));
      case "GET /__sim/pubsub/faults":
        return sendJson(req, res, 200, JSON.stringify(context.pubsub.faults.list().map(pubSubFaultJson)));
      case "POST /__sim/pubsub/faults": {
        const body: unknown = JSON.parse((await readBody(req)) || "null");
        const added = (Array.isArray(body) ? body : [body]).map((spec) => context.pubsub.faults.add(spec));
        // A fault due now (after 0 events) meets the open streams at once.
        context.pubsub.pumpAll();
        return sendJson(req, res, 201, JSON.stringify(added.map(pubSubFaultJson)));
      }
      case "DELETE /__sim/pubsub/faults":
        context.pubsub.faults.clear();
        context.pubsub.pumpAll();
        res.writeHead(204).end();
        return;
      case "POST /__sim/api-usage": {
        const body = await jsonBody(req);
        context.usage.set(typeof body.used === "number" ? body.used : 0);
        return sendJson(req, res, 200, statsJson(context));
      }
      default:
        return sendJson(req, res, 404, JSON.stringify({ error: `no admin route ${key}` }));
    }
  } catch (err) {
    if (err instanceof ZodError) {
      return sendJson(
        req,
        res,
        400,
        JSON.stringify({ error: err.issues.map((issue) => describeIssue(issue)).join("; ") }),
      );
    }
    if (err instanceof RangeError || err instanceof SyntaxError) {
      return sendJson(req, res, 400, JSON.stringify({ error: err.message }));
    }
    throw err;
  }
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  const value: unknown = text.trim() === "" ? {} : JSON.parse(text);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new SyntaxError("expected a JSON object");
  }
  return value as Record<string, unknown>;
}

function clockJson(context: SimulatorContext): string {
  return JSON.stringify({ time: context.clock.now().toISOString() });
}

function faultJson(fault: ActiveFault) {
  return { id: fault.id, ...fault.spec, seen: fault.seen, fired: fault.fired };
}

function pubSubFaultJson(fault: ActivePubSubFault) {
  return { id: fault.id, ...fault.spec, seen: fault.seen, fired: fault.fired };
}

function pubSubJson(context: SimulatorContext): string {
  const ps = context.pubsub;
  return JSON.stringify({
    endpoint: ps.endpoint,
    retention: formatDuration(ps.retentionMs),
    keepalive: formatDuration(ps.keepaliveMs),
    topics: ps
      .available()
      .map((t) => ({ topic: t.name, object: t.object?.name ?? null, schemaId: t.schemaId })),
  });
}

/** `since` (ISO) or the start of history; a topic the org lacks is a 400. */
function publishedScope(context: SimulatorContext, url: URL) {
  const since = url.searchParams.get("since");
  const from = since === null ? Number.NEGATIVE_INFINITY : Date.parse(since);
  if (Number.isNaN(from)) throw new RangeError("since must be an ISO date-time such as 2026-11-20T15:00:00Z");
  const name = url.searchParams.get("topic");
  const topics = name === null ? context.pubsub.available() : [context.pubsub.topic(name)];
  if (topics[0] === undefined && name !== null) {
    const known = context.pubsub.available().map((t) => t.name);
    throw new RangeError(`no topic ${name} in this org; known: ${known.join(", ")}`);
  }
  return { from, topics: topics as NonNullable<(typeof topics)[number]>[] };
}

/** Ground truth for the Pub/Sub topics: how many events each has published with EventDate in (since, now]. */
function publishedJson(context: SimulatorContext, url: URL): string {
  const { from, topics } = publishedScope(context, url);
  const counts = Object.fromEntries(
    topics.map((t) => [t.name, { object: t.object?.name ?? null, published: context.pubsub.count(t, from) }]),
  );
  return JSON.stringify({ time: context.clock.now().toISOString(), topics: counts });
}

/** Ground truth, event by event: NDJSON {"topic", "replayId" (base64), "EventIdentifier", "EventDate"}. */
function sendPublishedEvents(
  context: SimulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const { from, topics } = publishedScope(context, url);
  function* events() {
    for (const topic of topics) {
      for (const { replayId, record } of context.pubsub.published(topic, from))
        yield { topic, replayId, record };
    }
  }
  return sendNdjson(req, res, events(), ({ topic, replayId, record }) =>
    JSON.stringify({
      topic: topic.name,
      replayId: replayId.toString("base64"),
      EventIdentifier: record.EventIdentifier,
      EventDate: new Date(record.EventDate as number).toISOString(),
    }),
  );
}

function statsJson(context: SimulatorContext): string {
  return JSON.stringify({
    time: context.clock.now().toISOString(),
    requests: context.requests,
    apiUsage: { used: context.usage.spent, max: context.usage.max },
  });
}

/** Every row published so far, one JSON line each, streamed as the client reads. */
function sendGroundTruth(
  context: SimulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const rows = context.org.publishedRows(context.clock.now());
  return sendNdjson(req, res, rows, (row) => JSON.stringify(row));
}

/**
 * The Event Log Files a query would list now, oldest CreatedDate first, one line each with the
 * fields a collector keys and orders them by (dates in ISO): what a benchmark measures a file's
 * delay from.
 */
function sendFiles(context: SimulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return sendNdjson(req, res, context.org.files(context.clock.now()), (file) =>
    JSON.stringify({
      Id: file.Id,
      EventType: file.EventType,
      Interval: file.Interval,
      Sequence: file.Sequence,
      LogDate: new Date(file.LogDate).toISOString(),
      CreatedDate: new Date(file.CreatedDate).toISOString(),
      LogFileLength: file.LogFileLength,
    }),
  );
}

/**
 * Every monitoring-object row visible now (CreatedDate at or before the simulated clock), one line
 * each: {"object": "LoginEvent", "record": {...}} with every field as a query returns it.
 */
function sendObjectGroundTruth(
  context: SimulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  object: string | null,
): Promise<void> {
  const only = object === null ? undefined : objectSpec(object);
  if (object !== null && only === undefined) {
    throw new RangeError(`no object ${object}; known: ${OBJECTS.map((o) => o.name).join(", ")}`);
  }
  const rows = context.objects.groundTruth(context.clock.nowMs(), only);
  return sendNdjson(req, res, rows, ({ spec, record }) => {
    const types = new Map(spec.fields.map((f) => [f.name, f.type]));
    const fields = fieldsJson(
      record,
      spec.fields.map((f) => f.name),
      types,
    );
    return `{"object":${JSON.stringify(spec.name)},"record":{${fields.join(",")}}}`;
  });
}

/** Lines go out in chunks of about 64 KB: one write per row would spend more on calls than on bytes. */
function sendNdjson<T>(
  req: IncomingMessage,
  res: ServerResponse,
  rows: AsyncIterable<T> | Iterable<T>,
  line: (row: T) => string,
): Promise<void> {
  async function* lines() {
    let pending = "";
    for await (const row of rows) {
      pending += `${line(row)}\n`;
      if (pending.length >= 65_536) {
        yield Buffer.from(pending);
        pending = "";
      }
    }
    if (pending !== "") yield Buffer.from(pending);
  }
  return sendBody(req, res, 200, { "Content-Type": "application/x-ndjson" }, Readable.from(lines()));
}
