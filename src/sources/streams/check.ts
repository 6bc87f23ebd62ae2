import { type Finding, failed } from "../../core/finding.js";
import { count } from "../../observability/count.js";
import { PubSubError } from "../../salesforce/pubsub/index.js";
import { cannotSubscribe, type StreamKind } from "./catalog.js";
import type { PubSubApi } from "./source.js";

/** How long `sfevents check` listens to each topic: enough for the subscription to be refused. */
const LISTEN_MS = 3_000;

/**
 * For `sfevents check`: subscribes to every configured topic at once for a few seconds, and says per
 * topic whether it can be read and, when not, what to fix. A topic read only by default is a
 * warning (collect leaves it out); one named in streams.topics is a failure.
 */
export async function checkStreams(
  pubsub: PubSubApi,
  kinds: readonly StreamKind[],
  named: boolean,
): Promise<Finding[]> {
  const results = await Promise.all(kinds.map((kind) => listen(pubsub, kind)));
  const readable = results.filter((r) => r.ok).map((r) => `${r.kind.name} (${count(r.events, "event")})`);
  const out: Finding[] = [];
  if (readable.length > 0)
    out.push({
      status: "ok",
      title: "Streams",
      detail: `subscribed for ${LISTEN_MS / 1000}s: ${readable.join(", ")}`,
    });
  for (const r of results) {
    if (r.ok) continue;
    if (r.refusal === undefined) {
      out.push(failed(r.kind.topic, r.error));
      continue;
    }
    out.push({
      status: named ? "fail" : "warn",
      title: r.kind.topic,
      detail: named ? r.refusal : `${r.refusal} (collect leaves it out)`,
    });
  }
  return out;
}

type Listened =
  | { kind: StreamKind; ok: true; events: number }
  | { kind: StreamKind; ok: false; refusal?: string; error?: unknown };

async function listen(pubsub: PubSubApi, kind: StreamKind): Promise<Listened> {
  try {
    const topic = await pubsub.topic(kind.topic);
    if (!topic.canSubscribe) return { kind, ok: false, refusal: cannotSubscribe(kind) };
    const subscription = pubsub.subscribe(kind.topic, { preset: "latest" }, { capacity: 100 });
    try {
      const events = await subscription.take(100, LISTEN_MS);
      return { kind, ok: true, events: events.length };
    } finally {
      subscription.close();
    }
  } catch (error) {
    // A refusal the user can fix (a permission, the licence) says what to do; anything else is a failure.
    if (error instanceof PubSubError && error.kind === "fatal")
      return { kind, ok: false, refusal: error.message };
    return { kind, ok: false, error };
  }
}
