import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/simulator/server/index.js";
import { liveStderr, waitFor } from "../faults/support.js";
import { FakeIntake } from "../support/intake.js";
import {
  moveClock,
  readNdjson,
  type RunResult,
  runCli,
  startCli,
  tally,
  tempDir,
  writeConfig,
} from "./harness.js";

type Org = Awaited<ReturnType<typeof startSimulator>>;

const TOPIC = "/event/ApiEventStream";
const START = "2026-11-20T12:00:00.000Z";

/**
 * An org whose clock is frozen until a test moves it: a move publishes at once every event of the
 * span it crosses. ApiEvent at 600 an hour; no row stored late, so that the storage object holds
 * every event a backfill window covers once the window has settled (late rows are the objects
 * source's own test).
 */
const SCENARIO = {
  seed: 23,
  days: 1,
  start: START,
  clock: { running: false },
  api: { daily_limit: 1_000_000 },
  // Long enough that a move of hours does not end the session: the auth error has its own test.
  oauth: { token_ttl: "24h" },
  objects: { rows_per_hour: { ApiEvent: 600 }, late_share: 0, tie_share: 0.2 },
  pubsub: { keepalive: "2s" },
};

interface Published {
  topic: string;
  replayId: string;
  EventIdentifier: string;
  EventDate: string;
}

describe("sfevents collect of a Pub/Sub stream against the simulated org", () => {
  let org: Org;
  let dir: ReturnType<typeof tempDir>;
  let outFile: string;
  let running: { child: ChildProcess; done: Promise<RunResult>; stderr: () => string } | undefined;

  const config = (streams: Record<string, unknown> = {}, outputs?: Record<string, unknown>) =>
    writeConfig(dir.path, {
      salesforce: { url: org.url, client_id: org.clientId, client_secret: "${SF_SECRET}" },
      streams: { topics: [TOPIC], endpoint: org.pubsub.endpoint, tls: false, ...streams },
      outputs: outputs ?? { file: { path: outFile } },
      state: { path: join(dir.path, "state.sqlite") },
      dead_letters: { path: join(dir.path, "dead-letters.ndjson") },
    });

  /** Starts the collector and waits until its subscription is open, so that a clock move reaches it. */
  const start = async (path: string) => {
    const before = (await subscriptions()).filter((s) => s.open).length;
    const child = startCli(["collect", "--config", path, "--log-format", "json"], {
      SF_SECRET: org.clientSecret,
    });
    running = { ...child, stderr: liveStderr(child.child) };
    await waitFor(
      async () => (await subscriptions()).filter((s) => s.open).length > before,
      20_000,
      "the subscription",
    );
  };
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    const run = running;
    running = undefined;
    run?.child.kill(signal);
    return run?.done;
  };
  const subscriptions = async (): Promise<{ open: boolean; sent: number; ended?: string }[]> =>
    (await fetch(`${org.url}/__sim/pubsub/subscriptions`)).json() as never;
  /** Every event the topic published after START, as the simulator's ground truth lists them. */
  const published = async (): Promise<Published[]> => {
    const res = await fetch(
      `${org.url}/__sim/pubsub/events?topic=${encodeURIComponent(TOPIC)}&since=${START}`,
    );
    return (await res.text())
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Published);
  };
  const delivered = () => readNdjson(outFile).map((l) => JSON.parse(l) as Record<string, unknown>);
  const ids = (records: Record<string, unknown>[]) => tally(records.map((r) => String(r.EventIdentifier)));
  const waitForAll = async () => {
    const truth = await published();
    // Counted once each: a duplicate must not end the wait before every event came.
    await waitFor(() => ids(delivered()).size >= truth.length, 30_000, `${truth.length} events in the file`);
    return truth;
  };
  const exactlyOnce = (truth: Published[]) => {
    expect(ids(delivered())).toEqual(tally(truth.map((e) => e.EventIdentifier)));
  };
  /**
   * Starts the collector again after a gap, lets the backfill's span settle (it reads to a minute
   * after the stream came back, a minute behind the org's clock) and checks each event came once.
   */
  const restartFillingTheGap = async (path: string) => {
    await start(path);
    await moveClock(org.url, { advance: "5m" });
    const truth = await waitForAll();
    expect(running?.stderr()).toMatch(/Reading ApiEvent from .* to fill the gap/);
    await stop();
    exactlyOnce(truth);
  };
  const faults = (body: unknown) =>
    fetch(`${org.url}/__sim/pubsub/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  beforeEach(async () => {
    dir = tempDir("streams");
    outFile = join(dir.path, "out", "events.ndjson");
    org = await startSimulator(SCENARIO);
  });
  afterEach(async () => {
    await stop("SIGKILL");
    await org?.close();
    dir.remove();
  });

  it("delivers every event once, as the storage object's record, across clock moves and a restart", async () => {
    const path = config();
    await start(path);
    await moveClock(org.url, { advance: "10m" });
    const first = await waitForAll();
    expect(first.length).toBeGreaterThan(50);
    const stopped = await stop();
    expect(stopped?.code).toBe(0);

    // Published while nobody listened: the restart resumes after the last delivered replay id.
    await moveClock(org.url, { advance: "10m" });
    await start(path);
    await moveClock(org.url, { advance: "5m" });
    const all = await waitForAll();
    await stop();
    exactlyOnce(all);
    const resumed = (await subscriptions()).map((s) => (s as { preset?: string }).preset);
    expect(resumed).toEqual(["LATEST", "CUSTOM"]);

    // The record reads as LoginEvent's storage row does: ISO date-times, the object named.
    const [record] = delivered();
    expect(record.sobject).toBe("ApiEvent");
    expect(String(record.EventDate)).toMatch(/^2026-11-20T12:\d\d:\d\d\.\d{3}Z$/);
  });

  it("goes on after a dropped stream and an auth error mid-stream, with nothing lost or sent twice", async () => {
    await start(config());
    await faults([
      { type: "drop-stream", topic: TOPIC, after_events: 7 },
      { type: "auth-error", topic: TOPIC, after_events: 30 },
    ]);
    await moveClock(org.url, { advance: "15m" });
    exactlyOnce(await waitForAll());
    const ended = (await subscriptions()).map((s) => s.ended ?? "open");
    expect(ended.some((e) => e.includes("UNAVAILABLE"))).toBe(true);
    expect(ended.some((e) => e.includes("UNAUTHENTICATED"))).toBe(true);
    expect(running?.stderr()).toMatch(/subscribing again from the last delivered event/);
  });

  it("fills a refused replay id's gap from the storage object, each event once", async () => {
    const path = config();
    await start(path);
    await moveClock(org.url, { advance: "10m" });
    await waitForAll();
    await stop();

    await moveClock(org.url, { advance: "30m" });
    await faults({ type: "refuse-replay-id", topic: TOPIC });
    await restartFillingTheGap(path);
    const refused = (await subscriptions()).map((s) => s.ended ?? "open");
    expect(refused.some((e) => e.includes("replayid.corrupted"))).toBe(true);
  });

  it("fills from the storage object what the stream no longer keeps after a long stop", async () => {
    const path = config();
    await fetch(`${org.url}/__sim/pubsub/retention`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ retention: "1h" }),
    });
    await start(path);
    await moveClock(org.url, { advance: "10m" });
    await waitForAll();
    await stop();

    // Down three hours, past the stream's retention: the stored replay id has expired.
    await moveClock(org.url, { advance: "3h" });
    await restartFillingTheGap(path);
  });

  it("loses nothing to a kill -9 while events are being delivered", async () => {
    const path = config();
    await start(path);
    await moveClock(org.url, { advance: "2h" });
    await waitFor(() => delivered().length > 100, 30_000, "delivery under way");
    await stop("SIGKILL");
    await start(path);
    // Past a minute and the backfill's lag: if the kill came before the first commit, the restart
    // fills from the storage object what came since the first start.
    await moveClock(org.url, { advance: "3m" });
    const truth = await waitForAll();
    await stop();
    const seen = ids(delivered());
    const missing = truth.filter((e) => !seen.has(e.EventIdentifier));
    expect(missing).toEqual([]);
    // Only the units in flight at the kill may come twice: at most one capacity's worth.
    expect(delivered().length - truth.length).toBeLessThanOrEqual(2000);
  });

  it("slows the stream to a slow intake instead of holding what it cannot send", async () => {
    const intake = await FakeIntake.start();
    intake.delay(150);
    try {
      const capacity = 200;
      await start(
        config(
          { capacity },
          { sekoia: { url: intake.url, intake_key: "k".repeat(32), max_batch_events: 100 } },
        ),
      );
      await moveClock(org.url, { advance: "6h" });
      const truth = await published();
      expect(truth.length).toBeGreaterThan(3000);
      let held = 0;
      await waitFor(
        async () => {
          const sent = (await subscriptions()).reduce((sum, s) => sum + s.sent, 0);
          held = Math.max(held, sent - intake.events.length);
          return intake.events.length >= truth.length;
        },
        60_000,
        "every event at the slow intake",
      );
      // Sent by the server and not yet acknowledged by the intake: the subscription's capacity
      // (received or requested) and the unit being delivered, never the whole backlog.
      expect(held).toBeLessThanOrEqual(2 * capacity);
      // Sekoia.io's shape keys a record's fields by their Event Log File columns.
      expect(
        tally(intake.events.map((e) => String((JSON.parse(e) as Record<string, unknown>).EVENT_IDENTIFIER))),
      ).toEqual(tally(truth.map((e) => e.EventIdentifier)));
    } finally {
      await stop();
      await intake.close();
    }
  });

  it("writes a streamed event's ECS document as the storage object's row of the same event", async () => {
    const ecsFile = join(dir.path, "out", "ecs.ndjson");
    const path = writeConfig(dir.path, {
      salesforce: { url: org.url, client_id: org.clientId, client_secret: "${SF_SECRET}" },
      streams: { topics: [TOPIC], endpoint: org.pubsub.endpoint, tls: false },
      objects: { types: ["ApiEvent"], start: START, lag: "1m" },
      outputs: { file: { path: ecsFile, format: "ecs" } },
      state: { path: join(dir.path, "state.sqlite") },
      dead_letters: { path: join(dir.path, "dead-letters.ndjson") },
    });
    await start(path);
    await moveClock(org.url, { advance: "10m" });
    const truth = await published();
    await waitFor(() => readNdjson(ecsFile).length >= truth.length, 30_000, "the streamed events");
    await stop();
    // The storage object's windows, read by a run of its own once the rows are stored.
    await moveClock(org.url, { advance: "2m" });
    const polled = await runCli(["collect", "--once", "--config", path], { SF_SECRET: org.clientSecret });
    expect(polled.code, polled.stderr).toBe(0);

    const byId = new Map<string, Record<string, unknown>[]>();
    for (const line of readNdjson(ecsFile)) {
      const doc = JSON.parse(line) as { event: { id: string } };
      byId.set(doc.event.id, [...(byId.get(doc.event.id) ?? []), doc]);
    }
    const pairs = [...byId.values()].filter((docs) => docs.length === 2);
    expect(pairs.length).toBeGreaterThanOrEqual(truth.length - 1);
    // The one difference: a big object's row has an Id, the same meaningless one on every row
    // (Salesforce's empty id), which the event on the stream does not carry.
    const EMPTY_ID = "000000000000000AAA";
    for (const docs of pairs) {
      const [stored, streamed] = docs.map((d) => JSON.stringify(d)).sort((a, b) => b.length - a.length);
      expect(stored).toContain(EMPTY_ID);
      expect(JSON.parse(streamed)).toEqual(JSON.parse(stored.replace(`"id":"${EMPTY_ID}",`, "")));
    }
  });

  it("says in check what each topic needs, and what it could read", async () => {
    await org.close();
    org = await startSimulator({ ...SCENARIO, objects: { ...SCENARIO.objects, readable: ["ApiEvent"] } });
    const path = config({ topics: [TOPIC, "/event/LoginEventStream"] });
    const result = await runCli(["check", "--config", path], { SF_SECRET: org.clientSecret });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/Streams.*ApiEventStream/);
    expect(result.stdout).toMatch(/LoginEventStream[^\n]*(permission|Enable Streaming)/);
  });

  it("collects again from an instant after `state rewind`, reading the span from the storage object", async () => {
    const path = config();
    await start(path);
    await moveClock(org.url, { advance: "10m" });
    const before = await waitForAll();
    await stop();

    const to = "2026-11-20T12:05:00.000Z";
    const rewound = await runCli([
      "state",
      "rewind",
      "--config",
      path,
      "--source",
      "streams:ApiEventStream",
      "--to",
      to,
      "--yes",
    ]);
    expect(rewound.code, rewound.stderr).toBe(0);
    await start(path);
    await moveClock(org.url, { advance: "3m" });
    const truth = await published();
    const again = before.filter((e) => e.EventDate > to).length;
    await waitFor(() => delivered().length >= truth.length + again, 30_000, "the rewound span again");
    expect(running?.stderr()).toMatch(/Reading ApiEvent from 2026-11-20T12:05:00.000Z/);
    await stop();
    const rewoundIds = new Set(before.filter((e) => e.EventDate > to).map((e) => e.EventIdentifier));
    expect(ids(delivered())).toEqual(
      new Map(truth.map((e) => [e.EventIdentifier, rewoundIds.has(e.EventIdentifier) ? 2 : 1])),
    );
  });

  it("starts at the earliest event within the lookback when asked, and goes on from there", async () => {
    await moveClock(org.url, { advance: "1h" });
    const path = config({ start: "earliest", lookback: "30m" });
    await start(path);
    const since = new Date(Date.parse(START) + 30 * 60_000).toISOString();
    const res = await fetch(
      `${org.url}/__sim/pubsub/events?topic=${encodeURIComponent(TOPIC)}&since=${since}`,
    );
    const recent = (await res.text())
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Published);
    await waitFor(() => delivered().length >= recent.length, 30_000, "the last 30 minutes");
    await stop();
    expect(recent.length).toBeGreaterThan(100);
    // Older events the stream still keeps (the org has a day of them) were passed over.
    expect(ids(delivered())).toEqual(tally(recent.map((e) => e.EventIdentifier)));
  });

  it("reports the span a stream without a storage object lost to a refused replay id", async () => {
    await org.close();
    org = await startSimulator({ ...SCENARIO, pubsub: { ...SCENARIO.pubsub, concur_rate: 600 } });
    const path = config({ topics: ["/event/ConcurLongRunApexErrEvent"] });
    await start(path);
    await moveClock(org.url, { advance: "10m" });
    await waitFor(() => delivered().length > 20, 30_000, "ConcurLongRunApexErrEvent events");
    await stop();
    await moveClock(org.url, { advance: "10m" });
    await faults({ type: "refuse-replay-id" });
    await start(path);
    await waitFor(() => /are lost/.test(running?.stderr() ?? ""), 20_000, "the lost span reported");
    expect(running?.stderr()).toMatch(
      /refused the stored replay id.* Events from 2026-11-20T12:(0\d|10):\d\d\.\d{3}Z to 2026-11-20T12:20:\d\d\.\d{3}Z are lost: ConcurLongRunApexErrEvent has no storage object/,
    );
  });
});
