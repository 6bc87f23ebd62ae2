import { credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { decodePayload, parseSchema } from "../../../src/salesforce/pubsub/avro.js";
import {
  type FetchRequest,
  type FetchResponse,
  PubSubService,
  type SchemaInfo,
  type TopicInfo,
} from "../../../src/salesforce/pubsub/proto.js";
import type { ScenarioInput } from "../../../src/simulator/scenario.js";
import { type Simulator, startSimulator } from "../../../src/simulator/server/index.js";
import { adminJson, LOGIN_TOPIC, published, START } from "../../support/pubsub.js";
import { requestToken } from "../server/helpers.js";

/** A bare gRPC client of the simulator: what it answers, with no sfevents logic in between. */
// biome-ignore lint/suspicious/noExplicitAny: the generated stub has no static types
type Stub = any;

let sim: Simulator | undefined;
let stub: Stub;
let md: Metadata;
afterEach(async () => {
  stub?.close();
  await sim?.close();
  sim = undefined;
});

async function start(input: ScenarioInput = {}): Promise<Simulator> {
  const org = await startSimulator({
    seed: 3,
    start: START,
    days: 1,
    clock: { running: false },
    ...input,
    org: { event_types: ["API"], ...input.org },
  });
  sim = org;
  stub = new PubSubService(org.pubsub.endpoint, credentials.createInsecure());
  const token = (await (await requestToken(org)).json()) as { access_token: string; id: string };
  md = new Metadata();
  md.set("accesstoken", token.access_token);
  md.set("instanceurl", sim.url);
  md.set("tenantid", (/\/id\/([^/]+)\//.exec(token.id) as RegExpExecArray)[1]);
  return org;
}

function unary<T>(method: "GetTopic" | "GetSchema", request: object, metadata = md): Promise<T> {
  return new Promise((resolve, reject) =>
    stub[method](request, metadata, (err: ServiceError | null, res: T) => (err ? reject(err) : resolve(res))),
  );
}

/** A Subscribe call that records every response; `request` sends a FetchRequest. */
function subscribe(first: Partial<FetchRequest>, metadata = md) {
  const call = stub.Subscribe(metadata);
  const responses: FetchResponse[] = [];
  let error: ServiceError | undefined;
  const waiters: (() => void)[] = [];
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  call.on("data", (r: FetchResponse) => {
    responses.push(r);
    wake();
  });
  call.on("error", (e: ServiceError) => {
    error = e;
    wake();
  });
  call.write(first);
  const events = () => responses.flatMap((r) => r.events);
  return {
    responses,
    events,
    get error() {
      return error;
    },
    request: (n: number) => call.write({ num_requested: n }),
    /** Until `check` holds (or the call failed). */
    async until(check: () => boolean) {
      while (!check() && error === undefined) await new Promise<void>((r) => waiters.push(r));
    },
    close: () => call.cancel(),
  };
}

async function tenantOf(): Promise<string> {
  return String(md.get("tenantid")[0]);
}

describe("the simulator's Pub/Sub API", () => {
  it("caps what is pending at 100 and sends only what was requested", async () => {
    const sim = await start();
    const s = subscribe({ topic_name: LOGIN_TOPIC, replay_preset: "EARLIEST", num_requested: 150 });
    await s.until(() => s.events().length >= 100);
    s.request(30);
    await s.until(() => s.events().length >= 130);
    const stats = (
      await adminJson<{ requested: number[]; maxOutstanding: number; sent: number }[]>(
        sim,
        "/__sim/pubsub/subscriptions",
      )
    )[0];
    s.close();
    expect(s.events()).toHaveLength(130);
    expect(stats.requested).toEqual([150, 30]);
    expect(stats.sent).toBe(130);
    for (const r of s.responses) expect(r.events.length).toBeLessThanOrEqual(100);
    expect(s.responses.at(-1)?.pending_num_requested).toBe(0);
  });

  it("refuses a request for no events", async () => {
    await start();
    const s = subscribe({ topic_name: LOGIN_TOPIC, replay_preset: "LATEST", num_requested: 0 });
    await s.until(() => false);
    expect(s.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(s.error?.metadata.get("error-code")).toEqual([
      "sfdc.platform.eventbus.grpc.subscription.fetch.requested.events.invalid",
    ]);
  });

  it("answers GetTopic and GetSchema, and the payloads decode with that schema", async () => {
    await start();
    const topic = await unary<TopicInfo>("GetTopic", { topic_name: "/event/ApiEventStream" });
    expect(topic).toMatchObject({
      topic_name: "/event/ApiEventStream",
      can_subscribe: true,
      can_publish: false,
    });
    const schema = await unary<SchemaInfo>("GetSchema", { schema_id: topic.schema_id });
    expect(schema.schema_id).toBe(topic.schema_id);
    const type = parseSchema(schema.schema_json);
    const s = subscribe({ topic_name: "/event/ApiEventStream", replay_preset: "EARLIEST", num_requested: 5 });
    await s.until(() => s.events().length >= 5);
    s.close();
    for (const { event } of s.events()) {
      expect(event.schema_id).toBe(topic.schema_id);
      const record = decodePayload(type, event.payload);
      expect(record.EventIdentifier).toBe(event.id);
      expect(typeof record.EventDate).toBe("number");
    }
  });

  it("publishes every topic's events in its schema, ConcurLongRunApexErrEvent included", async () => {
    const sim = await start();
    const { topics } = await adminJson<{ topics: { topic: string; object: string | null }[] }>(
      sim,
      "/__sim/pubsub",
    );
    expect(topics.map((t) => t.topic)).toContain("/event/ConcurLongRunApexErrEvent");
    expect(topics).toHaveLength(16);
    for (const { topic } of topics) {
      const truth = await published(sim, topic);
      const s = subscribe({ topic_name: topic, replay_preset: "EARLIEST", num_requested: 100 });
      await s.until(() => s.events().length >= Math.min(100, truth.length));
      s.close();
      expect(s.error).toBeUndefined();
      expect(s.events().map((e) => e.event.id)).toEqual(truth.slice(0, 100).map((e) => e.EventIdentifier));
    }
  });

  it("publishes a burst, and its count agrees with what a subscriber reads", async () => {
    const sim = await start({
      objects: { bursts: [{ object: "ApiEvent", rows: 3000, at: "2026-11-20T14:00:00Z", span: 0 }] },
    });
    const { topics } = await adminJson<{ topics: Record<string, { published: number }> }>(
      sim,
      `/__sim/pubsub/published?topic=${encodeURIComponent("/event/ApiEventStream")}&since=2026-11-20T13:59:59Z`,
    );
    const count = topics["/event/ApiEventStream"].published;
    expect(count).toBeGreaterThan(3000);
    const s = subscribe({
      topic_name: "/event/ApiEventStream",
      replay_preset: "CUSTOM",
      replay_id: Buffer.from(
        (await published(sim, "/event/ApiEventStream", "2026-11-20T13:59:59Z"))[0].replayId,
        "base64",
      ),
      num_requested: 100,
    });
    let asked = 100;
    while (s.events().length < count - 1) {
      await s.until(() => s.events().length >= asked || s.events().length >= count - 1);
      s.request(100);
      asked += 100;
    }
    s.close();
    const ids = s.events().map((e) => e.event.id);
    expect(new Set(ids).size).toBe(count - 1);
  });

  it("has no topic without Event Monitoring, and refuses a bad token or tenant", async () => {
    const sim = await start({ objects: { event_monitoring: false } });
    const missing = (await unary("GetTopic", { topic_name: LOGIN_TOPIC }).catch(
      (e: unknown) => e,
    )) as ServiceError;
    expect(missing.code).toBe(status.NOT_FOUND);
    expect(missing.metadata.get("error-code")).toEqual(["sfdc.platform.eventbus.grpc.topic.not.found"]);
    const wrong = new Metadata();
    wrong.set("accesstoken", String(md.get("accesstoken")[0]));
    wrong.set("instanceurl", sim.url);
    wrong.set("tenantid", "00D000000000000AAA");
    const refused = (await unary("GetTopic", { topic_name: LOGIN_TOPIC }, wrong).catch(
      (e: unknown) => e,
    )) as ServiceError;
    expect(refused.code).toBe(status.UNAUTHENTICATED);
    expect(refused.metadata.get("error-code")).toEqual(["sfdc.platform.eventbus.grpc.service.auth.error"]);
    expect(await tenantOf()).toMatch(/^00D/);
  });

  it("refuses the next CUSTOM replay id on demand, then accepts it again", async () => {
    const sim = await start();
    const [first] = await published(sim, LOGIN_TOPIC);
    await adminJson(sim, "/__sim/pubsub/faults", { type: "refuse-replay-id" });
    const request = {
      topic_name: LOGIN_TOPIC,
      replay_preset: "CUSTOM" as const,
      replay_id: Buffer.from(first.replayId, "base64"),
      num_requested: 3,
    };
    const refused = subscribe(request);
    await refused.until(() => false);
    expect(refused.error?.metadata.get("error-code")).toEqual([
      "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted",
    ]);
    const accepted = subscribe(request);
    await accepted.until(() => accepted.events().length >= 3);
    accepted.close();
    const truth = await published(sim, LOGIN_TOPIC);
    expect(accepted.events().map((e) => e.event.id)).toEqual(truth.slice(1, 4).map((e) => e.EventIdentifier));
  });

  it("publishes events as a running clock reaches them", async () => {
    // The org's clock runs from a moment just past; a burst is due half a second after it.
    const now = Date.now();
    const at = new Date(now + 500).toISOString();
    await start({
      start: new Date(now).toISOString(),
      clock: { running: true },
      objects: { bursts: [{ object: "ApiEvent", rows: 300, at, span: "200ms" }] },
    });
    const s = subscribe({ topic_name: "/event/ApiEventStream", replay_preset: "LATEST", num_requested: 100 });
    let asked = 100;
    while (s.events().length < 300) {
      await s.until(() => s.events().length >= Math.min(asked, 300));
      s.request(100);
      asked += 100;
    }
    s.close();
    const truth = await published(sim as Simulator, "/event/ApiEventStream", new Date(now).toISOString());
    const ids = s.events().map((e) => e.event.id);
    expect(ids.slice(0, truth.length)).toEqual(truth.slice(0, ids.length).map((e) => e.EventIdentifier));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("sends a keepalive, with a replay id, when it has nothing to send", async () => {
    await start({ pubsub: { keepalive: "50ms" } });
    const s = subscribe({ topic_name: LOGIN_TOPIC, replay_preset: "LATEST", num_requested: 10 });
    await s.until(() => s.responses.length >= 1);
    s.close();
    expect(s.responses[0].events).toEqual([]);
    expect(s.responses[0].latest_replay_id.length).toBeGreaterThan(0);
    expect(s.responses[0].pending_num_requested).toBe(10);
  });
});
