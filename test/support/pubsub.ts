import { SalesforceClient } from "../../src/salesforce/index.js";
import {
  type PubSubAuth,
  PubSubClient,
  type StreamEvent,
  type Subscription,
} from "../../src/salesforce/pubsub/index.js";
import type { ScenarioInput } from "../../src/simulator/scenario.js";
import { type Simulator, startSimulator } from "../../src/simulator/server/index.js";
import type { StreamStats } from "../../src/simulator/pubsub/stream.js";
import { capturedLogger } from "./logger.js";

/** A Friday afternoon; the clock stays there unless a test moves it. */
export const START = "2026-11-20T15:00:00Z";
export const LOGIN_TOPIC = "/event/LoginEventStream";

/**
 * A simulated org (frozen clock, one day of history) with the collector's Pub/Sub client wired to
 * it through a real SalesforceClient session, as the streams source wires them; `renewals` counts
 * the tokens the client asked to renew.
 */
export async function startPubSub(input: ScenarioInput = {}, clientOptions: { quietMs?: number } = {}) {
  const sim = await startSimulator({
    seed: 3,
    start: START,
    days: 1,
    clock: { running: false },
    ...input,
    org: { event_types: ["API"], ...input.org },
  });
  const log = capturedLogger();
  const salesforce = new SalesforceClient({
    credentials: { url: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret },
    logger: log.logger,
  });
  const renewals: string[] = [];
  const client = new PubSubClient({
    endpoint: sim.pubsub.endpoint,
    tls: false,
    logger: log.logger,
    auth: {
      current: () => salesforce.pubSubAuth(),
      renew: (refused: string): Promise<PubSubAuth> => {
        renewals.push(refused);
        return salesforce.renewPubSubAuth(refused);
      },
    },
    ...clientOptions,
  });
  return {
    sim,
    client,
    salesforce,
    renewals,
    log,
    async close() {
      client.close();
      await salesforce.close();
      await sim.close();
    },
  };
}

/** Takes events until `count` came (or the stream fails), `max` at a time. */
export async function takeN(sub: Subscription, count: number, max = 50): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  while (out.length < count) out.push(...(await sub.take(Math.min(max, count - out.length), 5_000)));
  return out;
}

/** Takes until the subscription rejects, and returns what it rejected with. */
export async function failure(sub: Subscription): Promise<unknown> {
  for (;;) {
    try {
      await sub.take(100, 5_000);
    } catch (err) {
      return err;
    }
  }
}

export async function adminJson<T>(sim: Simulator, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sim.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

export function subscriptions(sim: Simulator): Promise<StreamStats[]> {
  return adminJson<StreamStats[]>(sim, "/__sim/pubsub/subscriptions");
}

export interface PublishedEvent {
  topic: string;
  replayId: string;
  EventIdentifier: string;
  EventDate: string;
}

/** Ground truth: the events a topic has published so far (since the start of history or `since`). */
export async function published(sim: Simulator, topic: string, since?: string): Promise<PublishedEvent[]> {
  const query = new URLSearchParams({ topic, ...(since === undefined ? {} : { since }) });
  const text = await (await fetch(`${sim.url}/__sim/pubsub/events?${query}`)).text();
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as PublishedEvent);
}

/** Waits (briefly polling the server) until `check` holds on the streams it saw. */
export async function until(sim: Simulator, check: (s: StreamStats[]) => boolean): Promise<StreamStats[]> {
  for (let i = 0; i < 500; i++) {
    const stats = await subscriptions(sim);
    if (check(stats)) return stats;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the simulator's streams never got there: ${JSON.stringify(await subscriptions(sim))}`);
}
