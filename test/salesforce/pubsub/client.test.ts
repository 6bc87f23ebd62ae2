import { afterEach, describe, expect, it } from "vitest";
import { PubSubError, type StreamEvent } from "../../../src/salesforce/pubsub/index.js";
import {
  adminJson,
  failure,
  LOGIN_TOPIC,
  published,
  START,
  startPubSub,
  subscriptions,
  takeN,
  until,
} from "../../support/pubsub.js";

type Org = Awaited<ReturnType<typeof startPubSub>>;
let org: Org;
afterEach(() => org.close());

const ids = (events: StreamEvent[]) => events.map((e) => e.id);

/** The storage object's rows as the simulator's ground truth writes them, by EventIdentifier. */
async function storedRows(object: string): Promise<Map<string, Record<string, unknown>>> {
  const text = await (await fetch(`${org.sim.url}/__sim/objects/rows?object=${object}`)).text();
  const rows = text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => (JSON.parse(l) as { record: Record<string, unknown> }).record);
  return new Map(rows.map((r) => [String(r.EventIdentifier), r]));
}

/** A REST datetime (2026-11-20T14:59:59.000+0000) as the epoch milliseconds a stream carries. */
const restValue = (v: unknown) =>
  typeof v === "string" && /^\d{4}-\d\d-\d\dT.*\+0000$/.test(v) ? Date.parse(v.replace("+0000", "Z")) : v;

describe("PubSubClient against the simulated org", () => {
  it("decodes each event into the very row of its storage object", async () => {
    org = await startPubSub();
    const sub = org.client.subscribe(LOGIN_TOPIC, { preset: "earliest" }, { capacity: 100 });
    const events = await takeN(sub, 200);
    sub.close();
    const rows = await storedRows("LoginEvent");
    let compared = 0;
    for (const event of events) {
      expect(event.id).toBe(event.record.EventIdentifier);
      const row = rows.get(event.id);
      if (row === undefined) continue; // published at its EventDate, not stored yet
      compared++;
      const { Id: _, attributes: __, ...fields } = row;
      expect(event.record).toEqual(
        Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, restValue(v)])),
      );
    }
    expect(compared).toBeGreaterThan(150);
  });

  it("describes a topic with GetTopic", async () => {
    org = await startPubSub();
    const topic = await org.client.topic(LOGIN_TOPIC);
    expect(topic).toEqual({ topicName: LOGIN_TOPIC, canSubscribe: true, schemaId: expect.any(String) });
    const sub = org.client.subscribe(LOGIN_TOPIC, { preset: "earliest" }, { capacity: 5 });
    const [event] = await sub.take(1, 5_000);
    sub.close();
    expect(event.schemaId).toBe(topic.schemaId);
  });

  it("never has more than its capacity requested and not taken", async () => {
    org = await startPubSub();
    const capacity = 7;
    const sub = org.client.subscribe(LOGIN_TOPIC, { preset: "earliest" }, { capacity });
    let taken = 0;
    for (let i = 0; i < 12; i++) {
      taken += (await sub.take(3, 5_000)).length;
      // Give the client every chance to over-ask before looking at what the server saw.
      const [stats] = await until(org.sim, (s) => s[0]?.sent === s[0]?.requestedTotal);
      const requested = stats.requestedTotal;
      expect(requested - taken).toBeLessThanOrEqual(capacity);
      expect(stats.maxOutstanding).toBeLessThanOrEqual(capacity);
    }
    sub.close();
    expect(taken).toBe(36);
  });

  it("asks for at most 100 pending events, Salesforce's ceiling, whatever its capacity", async () => {
    org = await startPubSub();
    const sub = org.client.subscribe(LOGIN_TOPIC, { preset: "earliest" }, { capacity: 1000 });
    await takeN(sub, 400, 30);
    const [stats] = await subscriptions(org.sim);
    sub.close();
    expect(stats.requested[0]).toBe(100);
    expect(stats.maxOutstanding).toBeLessThanOrEqual(100);
  });

  it("resumes a CUSTOM subscription right after the given event: no gap, no duplicate", async () => {
    org = await startPubSub();
    const first = org.client.subscribe(LOGIN_TOPIC, { preset: "earliest" }, { capacity: 50 });
    const before = await takeN(first, 120);
    first.close();
    const resumed = org.client.subscribe(
      LOGIN_TOPIC,
      { preset: "custom", replayId: before[79].replayId },
      { capacity: 50 },
    );
    const after = await takeN(resumed, 40);
    resumed.close();
    expect(ids(after)).toEqual(ids(before.slice(80, 120)));
    const truth = await published(org.sim, LOGIN_TOPIC);
    const all = truth.map((e) => e.EventIdentifier);
    const k = all.indexOf(before[0].id);
    expect(all.slice(k, k + 120)).toEqual(ids(before));
    expect(before.map((e) => e.replayId.toString("base64"))).toEqual(
      truth.slice(k, k + 120).map((e) => e.replayId),
    );
  });

  it("receives events as the clock reaches them, the same the simulator says it published", async () => {
    org = await startPubSub();
    const sub = org.client.subscribe(LOGIN_TOPIC, { preset: "latest" }, { capacity: 100 });
    await until(org.sim, (s) => s[0]?.preset === "LATEST");
    expect(await sub.take(10, 200)).toEqual([]);
    await adminJson(org.sim, "/__sim/clock", { advance: "1h" });
    const truth = await published(org.sim, LOGIN_TOPIC, START);
    expect(truth.length).toBeGreaterThan(10);
    const events = await takeN(sub, truth.length);
    sub.close();
    expect(ids(events)).toEqual(truth.map((e) => e.EventIdentifier));
  });

  it("takes a keepalive as no event and keeps its latest replay id", async () => {
    org = await startPubSub({ pubsub: { keepalive: "100ms" } });
    const sub = org.client.subscribe(LOGIN_TOPIC, { preset: "latest" }, { capacity: 10 });
    await until(org.sim, (s) => (s[0]?.keepalives ?? 0) >= 2);
    expect(await sub.take(10, 50)).toEqual([]);
    expect(sub.latestReplayId).toBeInstanceOf(Buffer);
    // The keepalive's id is a place to resume from: nothing is replayed from it.
    const resumed = org.client.subscribe(
      LOGIN_TOPIC,
      { preset: "custom", replayId: sub.latestReplayId as Buffer },
      { capacity: 10 },
    );
    expect(await resumed.take(10, 300)).toEqual([]);
    sub.close();
    resumed.close();
  });

  it("calls a refused replay id replay-refused", async () => {
    org = await startPubSub();
    const sub = org.client.subscribe(
      LOGIN_TOPIC,
      { preset: "custom", replayId: Buffer.from("not a replay id") },
      { capacity: 10 },
    );
    const err = (await failure(sub)) as PubSubError;
    expect(err).toBeInstanceOf(PubSubError);
    expect(err.kind).toBe("replay-refused");
    expect(err.code).toBe("sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted");
    expect(err.action).toBe("skip-unit");
    expect(err.message).toMatch(/rpcId: [0-9a-f-]{36}/);
    expect(err.message).toContain("Start again from EARLIEST");
    // Every later take rejects with the same error.
    await expect(sub.take(1, 10)).rejects.toBe(err);
  });

  it("calls a replay id past the retention replay-refused", async () => {
    org = await startPubSub();
    const first = org.client.subscribe(LOGIN_TOPIC, { preset: "earliest" }, { capacity: 10 });
    const [event] = await first.take(1, 5_000);
    first.close();
    await adminJson(org.sim, "/__sim/pubsub/retention", { retention: "1h" });
    const sub = org.client.subscribe(
      LOGIN_TOPIC,
      { preset: "custom", replayId: event.replayId },
      { capacity: 10 },
    );
    expect(((await failure(sub)) as PubSubError).kind).toBe("replay-refused");
  });

  it("renews an expired token, and the next subscription works", async () => {
    org = await startPubSub({ oauth: { token_ttl: "10m" } });
    await org.client.topic(LOGIN_TOPIC);
    await adminJson(org.sim, "/__sim/clock", { advance: "11m" });
    const sub = org.client.subscribe(LOGIN_TOPIC, { preset: "earliest" }, { capacity: 10 });
    const err = (await failure(sub)) as PubSubError;
    expect(err.kind).toBe("auth");
    expect(err.code).toBe("sfdc.platform.eventbus.grpc.service.auth.error");
    expect(org.renewals).toHaveLength(1);
    expect(err.message).not.toContain(org.renewals[0]);
    const next = org.client.subscribe(LOGIN_TOPIC, { preset: "earliest" }, { capacity: 10 });
    expect(await takeN(next, 10)).toHaveLength(10);
    next.close();
    expect(org.renewals).toHaveLength(1);
    expect(org.log.text()).not.toContain(org.renewals[0]);
  });

  it("renews the token after an auth error in the middle of a stream", async () => {
    org = await startPubSub({ pubsub: { faults: [{ type: "auth-error", after_events: 15 }] } });
    const sub = org.client.subscribe(LOGIN_TOPIC, { preset: "earliest" }, { capacity: 10 });
    const events = await takeN(sub, 15);
    const err = (await failure(sub)) as PubSubError;
    expect(events).toHaveLength(15);
    expect(err.kind).toBe("auth");
    expect(org.renewals).toHaveLength(1);
  });

  it("hands out the events received before a dropped stream, then says transient", async () => {
    org = await startPubSub();
    await adminJson(org.sim, "/__sim/pubsub/faults", { type: "drop-stream", after_events: 25 });
    const sub = org.client.subscribe(LOGIN_TOPIC, { preset: "earliest" }, { capacity: 100 });
    const events = await takeN(sub, 25);
    const err = (await failure(sub)) as PubSubError;
    expect(events).toHaveLength(25);
    expect(err.kind).toBe("transient");
    expect(err.status).toBe(14); // UNAVAILABLE
    expect(err.action).toBe("retry-unit");
  });

  it("ends a stream that goes quiet, not even a keepalive, as transient", async () => {
    // Keepalives every 50 ms would keep the stream alive: only the fault silences it.
    org = await startPubSub(
      { pubsub: { keepalive: "50ms", faults: [{ type: "quiet", for: "1m" }] } },
      { quietMs: 500 },
    );
    const sub = org.client.subscribe(LOGIN_TOPIC, { preset: "earliest" }, { capacity: 10 });
    const err = (await failure(sub)) as PubSubError;
    expect(err.kind).toBe("transient");
    expect(err.message).toContain("not even a keepalive");
  });

  it("says an unknown topic is fatal, with what to check", async () => {
    org = await startPubSub();
    const err = (await org.client.topic("/event/NoSuchEventStream").catch((e: unknown) => e)) as PubSubError;
    expect(err.kind).toBe("fatal");
    expect(err.action).toBe("stop");
    expect(err.code).toBe("sfdc.platform.eventbus.grpc.topic.not.found");
    expect(err.message).toContain("does not exist in this org");
    const sub = org.client.subscribe("/event/NoSuchEventStream", { preset: "latest" }, { capacity: 10 });
    expect(((await failure(sub)) as PubSubError).kind).toBe("fatal");
  });

  it("says a topic the user may not read is fatal, naming the permission", async () => {
    org = await startPubSub({ objects: { readable: ["ApiEvent"] } });
    const sub = org.client.subscribe(LOGIN_TOPIC, { preset: "latest" }, { capacity: 10 });
    const err = (await failure(sub)) as PubSubError;
    expect(err.kind).toBe("fatal");
    expect(err.message).toContain('"View Real-Time Event Monitoring Data"');
    expect(err.message).toContain("Enable Streaming");
  });

  it("surfaces no error from a close", async () => {
    org = await startPubSub();
    const sub = org.client.subscribe(LOGIN_TOPIC, { preset: "earliest" }, { capacity: 10 });
    await sub.take(1, 5_000);
    sub.close();
    expect(await sub.take(1, 10)).toEqual([]);
    await until(org.sim, (s) => s[0]?.open === false);
  });
});
