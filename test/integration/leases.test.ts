import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/simulator/server/index.js";
import { INTAKE_KEY, liveStderr, logLines, waitFor } from "../faults/support.js";
import { FakeIntake } from "../support/intake.js";
import { objectRowKey, objectRowTime, readableObjectRows, tallyObjects } from "../support/objects.js";
import { postgresUnavailable, sayPostgresSkipped, postgresForSuite } from "../support/postgres.js";
import {
  AUDIT_WRITES,
  divided,
  killCollectors,
  leasesInDatabase,
  leasesLost,
  leasesTaken,
  outputRecords,
  type RunningCollector,
  staleWrites,
  stopCollector,
} from "../support/leases.js";
import { startCli, tempDir, writeConfig } from "./harness.js";

sayPostgresSkipped("collectors sharing their sources through leases on PostgreSQL");

type Org = Awaited<ReturnType<typeof startSimulator>>;

/** Five objects, five sources: five leases to divide. */
const TYPES = ["LoginEvent", "ApiEvent", "SessionHijackingEventStore", "SetupAuditTrail", "LoginHistory"];
const START = "2026-11-20T00:00:00.000Z";
const LAG_MS = 60_000;
const WINDOW_MS = 20 * 60_000;
/** Short, so that a takeover comes within seconds; renewed every second. */
const LEASE = "3s";
/** The engine's default: units read at once by a source's cycle. */
const CONCURRENCY = 2;

/** Twelve hours of rows of an org whose clock is frozen: every run sees the same rows. */
const SCENARIO = {
  seed: 23,
  days: 1,
  start: "2026-11-20T12:00:00Z",
  clock: { running: false },
  query: { max_page_size: 200 },
  api: { daily_limit: 1_000_000 },
  objects: {
    rows_per_hour: {
      LoginEvent: 120,
      ApiEvent: 240,
      SessionHijackingEventStore: 6,
      SetupAuditTrail: 10,
      LoginHistory: 120,
    },
    late_share: 0,
    tie_share: 0.2,
  },
};

interface Collector extends RunningCollector {
  /** The file output's path: every event written, acknowledged or not. */
  events: string;
}

describe.skipIf(postgresUnavailable() !== undefined)(
  "collectors sharing their sources through leases",
  () => {
    const server = postgresForSuite();

    let org: Org;
    let dir: ReturnType<typeof tempDir>;
    let database: string;
    let collectors: Collector[] = [];
    beforeEach(async () => {
      dir = tempDir("leases");
      org = await startSimulator(SCENARIO);
      database = await server().createDatabase();
    });
    afterEach(async () => {
      await killCollectors(collectors);
      collectors = [];
      await org?.close();
      dir.remove();
    });

    /** A `sfevents collect` process with its own intake, on the shared database. */
    async function collector(name: string): Promise<Collector> {
      const intake = await FakeIntake.start();
      const folder = join(dir.path, name);
      mkdirSync(folder);
      const config = writeConfig(folder, {
        salesforce: { url: org.url, client_id: org.clientId, client_secret: "${SF_SECRET}" },
        objects: { types: TYPES, start: START, lag: "1m", overlap: "1h", window: "20m", poll_every: "1s" },
        // The file is what is checked; the intake, whose answers a test can hold, keeps units waiting for their acknowledgement.
        outputs: {
          file: { path: join(folder, "events.ndjson") },
          sekoia: { url: intake.url, intake_key: "${INTAKE_KEY}" },
        },
        // Named, so that the database can tell which collector wrote what.
        state: {
          postgres: { url: `${server().url(database)}?application_name=sfevents-${name}`, lease: LEASE },
        },
        dead_letters: { path: join(folder, "dead-letters.ndjson") },
      });
      const { child, done } = startCli(["collect", "--config", config, "--log-format", "json"], {
        SF_SECRET: org.clientSecret,
        INTAKE_KEY,
      });
      const c = {
        name,
        child,
        done,
        stderr: liveStderr(child),
        intake,
        events: join(folder, "events.ndjson"),
      };
      collectors.push(c);
      return c;
    }

    const expected = () => readableObjectRows(org.url, TYPES, START, new Date(SCENARIO.start), LAG_MS);
    // A line a kill -9 cut short is no event (the file output cuts it when it opens the file again).
    const records = (c: Collector) => outputRecords(c.events);
    const delivered = () => tallyObjects(collectors.flatMap(records));
    const missing = (want: Map<string, number>, got: Map<string, number>) =>
      [...want.keys()].filter((k) => !got.has(k));
    const allDelivered = async (want: Map<string, number>) => missing(want, delivered()).length === 0;
    const taken = (c: Collector) => leasesTaken(c.stderr());
    const holderOf = (c: Collector) => taken(c)[0]?.holder;
    const leasesOf = (holder: string) => leasesInDatabase((text) => server().sql(database, text), holder);
    const delivering = (c: Collector) =>
      logLines(c.stderr()).filter((l) => l.msg.startsWith("delivered ")).length;
    const stop = stopCollector;
    const auditWrites = () => server().sql(database, AUDIT_WRITES);
    /**
     * The units that reached the SIEM twice: the distinct (object, window) of the rows delivered more
     * than once. Only the units in flight when a collector stopped may be among them.
     */
    const unitsTwice = () => {
      const counts = delivered();
      const windows = new Set<string>();
      for (const r of collectors.flatMap(records)) {
        if ((counts.get(objectRowKey(r)) ?? 0) < 2) continue;
        windows.add(`${String(r.sobject)} ${Math.floor((objectRowTime(r) - Date.parse(START)) / WINDOW_MS)}`);
      }
      return windows;
    };

    it("two collectors divide the sources, and deliver every row exactly once between them", async () => {
      const want = await expected();
      const [a, b] = await Promise.all([collector("a"), collector("b")]);
      await waitFor(
        async () => taken(a).length > 0 && taken(b).length > 0 && (await allDelivered(want)),
        40_000,
        "both collectors to hold a lease and every row to arrive",
      );
      await Promise.all([stop(a), stop(b)]);

      const got = delivered();
      expect(missing(want, got)).toEqual([]);
      expect([...got.keys()].filter((k) => !want.has(k))).toEqual([]);
      expect([...got].filter(([, n]) => n > 1)).toEqual([]);
      // Each held sources of its own, and every source was collected.
      expect(holderOf(a)).not.toBe(holderOf(b));
      expect(new Set([...taken(a), ...taken(b)].map((t) => t.key))).toEqual(
        new Set(TYPES.map((t) => `objects:${t}`)),
      );
      // A clean shutdown gives every lease back.
      const held = await server().sql(
        database,
        "SELECT count(*)::int AS n FROM sfevents_leases WHERE holder IS NOT NULL",
      );
      expect(held.rows[0].n).toBe(0);
    }, 180_000);

    it("a collector killed with kill -9 mid-delivery has its sources taken over, and every row still arrives", async () => {
      const want = await expected();
      const [a, b] = await Promise.all([collector("a"), collector("b")]);
      // A slow intake, so that the kill comes with most of the work still to do.
      for (const c of [a, b]) c.intake.delay(200);
      await waitFor(
        () => taken(a).length > 0 && taken(b).length > 0 && delivering(a) >= 3,
        120_000,
        "both collectors to hold a lease and the first to deliver",
      );
      a.child.kill("SIGKILL");
      await a.done;
      b.intake.delay(0);
      const heldByA = await leasesOf(holderOf(a));
      // Every row may be in a file output before the takeover (the killed one wrote rows it never saw
      // acknowledged): the takeover is waited for too.
      const overs = () => taken(b).filter((t) => t.from === holderOf(a));
      // The killed one was mid-delivery: the survivor delivers windows of the sources it took over.
      const afterKill = () =>
        logLines(b.stderr()).filter(
          (l) => l.msg.startsWith("delivered ") && heldByA.has(`objects:${String(l.object)}`),
        );
      await waitFor(
        async () =>
          new Set(overs().map((t) => t.key)).size === heldByA.size &&
          afterKill().length > 0 &&
          (await allDelivered(want)),
        120_000,
        "the survivor to take over and every row to arrive",
      );

      // The survivor took over each source the killed one held, naming it.
      expect(new Set(overs().map((t) => t.key))).toEqual(heldByA);
      const got = delivered();
      expect(missing(want, got)).toEqual([]);
      // Again only what was in flight at the kill: per source, a unit read and one awaiting its acknowledgement per worker.
      expect(unitsTwice().size).toBeLessThanOrEqual(heldByA.size * 2 * CONCURRENCY);
      await stop(b);
    }, 240_000);

    it("a collector paused past its lease and resumed commits nothing stale: its writes are refused", async () => {
      const want = await expected();
      const [a, b] = await Promise.all([collector("a"), collector("b")]);
      // The first collector's intake answers slowly until the sources are divided, then holds its
      // answers: its units wait for their acknowledgement when it is paused. (Held from the start, it
      // could not give back the sources it took before the other came, as a lease is given back only
      // after the cycle under way.)
      a.intake.delay(500);
      await waitFor(
        () =>
          divided(
            [a, b],
            TYPES.map((t) => `objects:${t}`),
          ),
        120_000,
        "the sources to be divided",
      );
      a.intake.fallback = "stall";
      await waitFor(() => a.intake.stalledCount > 0, 60_000, "a batch of the first collector to wait");
      a.child.kill("SIGSTOP");
      const heldByA = await leasesOf(holderOf(a));
      await waitFor(
        async () =>
          new Set(
            taken(b)
              .filter((t) => t.from === holderOf(a))
              .map((t) => t.key),
          ).size === heldByA.size && (await allDelivered(want)),
        120_000,
        "the second collector to take over and deliver everything",
      );
      await auditWrites();
      const resumedAt = Date.now();
      a.intake.fallback = 200;
      a.child.kill("SIGCONT");
      a.intake.release();
      await waitFor(
        () => logLines(a.stderr()).some((l) => l.msg.startsWith("The lease of ") && l.level === "warn"),
        60_000,
        "the resumed collector's commit to be refused",
      );
      await waitFor(
        () => leasesLost(a.stderr()).size === heldByA.size,
        60_000,
        "the resumed collector to stop every source it lost",
      );

      await stop(a);
      const refusals = logLines(a.stderr()).filter((l) => l.msg.startsWith("The lease of "));
      for (const refusal of refusals)
        expect(refusal.msg).toMatch(
          /^The lease of objects:\w+ is no longer held by this collector \(.+, token \d+\): it expired and another collector may hold it, so nothing was recorded/,
        );
      for (const line of logLines(a.stderr()).filter((l) => l.msg.startsWith("lost the lease of ")))
        expect(line.msg).toMatch(
          /^lost the lease of objects:\w+: stopping it \(another collector holds it\)$/,
        );
      // Whatever it wrote after it resumed, it wrote through a lease it took again after it resumed
      // (the other gives back what is over its share), never through a lease it had lost.
      const { rows: writes } = await server().sql(
        database,
        "SELECT source, at FROM audit WHERE app = 'sfevents-a'",
      );
      const stale = staleWrites(writes as { source: string; at: Date }[], a.stderr(), resumedAt);
      expect(stale, "writes through a lost lease").toEqual([]);
      // Its late acknowledgements are only the units it had in flight.
      expect(missing(want, delivered()), "rows missing").toEqual([]);
      expect(unitsTwice().size).toBeLessThanOrEqual(heldByA.size * 2 * CONCURRENCY);
      await stop(b);
    }, 240_000);
  },
);
