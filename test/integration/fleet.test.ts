import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/simulator/server/index.js";
import { INTAKE_KEY, liveStderr, logLines, waitFor } from "../faults/support.js";
import { FakeIntake } from "../support/intake.js";
import { objectRowKey, objectRowTime, readableObjectRows, tallyObjects } from "../support/objects.js";
import { postgresForSuite, postgresUnavailable, sayPostgresSkipped } from "../support/postgres.js";
import {
  AUDIT_WRITES,
  collectorsAlive,
  divided,
  killCollectors,
  leasesHeld,
  leasesInDatabase,
  leasesLost,
  leasesTaken,
  outputRecords,
  type RunningCollector,
  staleWrites,
  stopCollector,
} from "../support/leases.js";
import { runCli, startCli, tempDir, writeConfig } from "./harness.js";

sayPostgresSkipped("a fleet of collectors sharing ten orgs through PostgreSQL");

type Org = Awaited<ReturnType<typeof startSimulator>>;

const TYPES = ["LoginEvent", "SetupAuditTrail"];
const START = "2026-11-20T00:00:00.000Z";
const LAG_MS = 60_000;
const WINDOW_MS = 60 * 60_000;
/** Short, so that a takeover comes within seconds; renewed every second. */
const LEASE = "3s";
/** The engine's default: units read at once by a source's cycle. */
const CONCURRENCY = 2;
const ORGS = 10;
/** The eleventh org: its file is added to orgs_dir while the collectors run. */
const LATE = "org-11";

/** Twelve hours of rows of an org whose clock is frozen: every run sees the same rows. */
const scenario = (seed: number) => ({
  seed,
  days: 1,
  start: "2026-11-20T12:00:00Z",
  clock: { running: false },
  query: { max_page_size: 200 },
  api: { daily_limit: 1_000_000 },
  objects: { rows_per_hour: { LoginEvent: 40, SetupAuditTrail: 5 }, late_share: 0, tie_share: 0.2 },
});

const orgName = (i: number) => `org-${String(i + 1).padStart(2, "0")}`;
const secretVar = (name: string) => `${name.toUpperCase().replace("-", "_")}_SECRET`;

interface Collector extends RunningCollector {
  folder: string;
}

describe.skipIf(postgresUnavailable() !== undefined)(
  "a fleet: collectors sharing many orgs through PostgreSQL",
  () => {
    const server = postgresForSuite();
    /** Eleven simulated orgs, each its own data and credentials; the tests' collectors take ten at first. */
    const orgs = new Map<string, Org>();
    const want = new Map<string, Map<string, number>>();
    beforeAll(async () => {
      const started = await Promise.all(
        Array.from({ length: ORGS + 1 }, (_, i) => startSimulator(scenario(101 + i))),
      );
      for (const [i, org] of started.entries()) {
        orgs.set(orgName(i), org);
        want.set(
          orgName(i),
          await readableObjectRows(org.url, TYPES, START, new Date(scenario(0).start), LAG_MS),
        );
      }
    }, 60_000);
    afterAll(async () => {
      await Promise.all([...orgs.values()].map((org) => org.close()));
    });

    let dir: ReturnType<typeof tempDir>;
    let database: string;
    let collectors: Collector[] = [];
    beforeEach(async () => {
      dir = tempDir("fleet");
      database = await server().createDatabase();
    });
    afterEach(async () => {
      await killCollectors(collectors);
      collectors = [];
      dir.remove();
    });

    /** The org file of `name` in a collector's orgs_dir: the org's events written to that collector's own file. */
    const writeOrgFile = (c: { folder: string; intake: FakeIntake }, name: string) => {
      const org = orgs.get(name) as Org;
      writeFileSync(
        join(c.folder, "orgs.d", `${name}.yaml`),
        stringify({
          name,
          salesforce: { url: org.url, client_id: org.clientId, client_secret: `\${${secretVar(name)}}` },
          outputs: {
            file: { path: join(c.folder, `${name}.ndjson`) },
            sekoia: { url: c.intake.url, intake_key: "${INTAKE_KEY}" },
          },
        }),
      );
    };

    /**
     * A `sfevents collect` process with its own intake and its own orgs_dir holding the first ten
     * orgs, on the shared database. `revoked` is an org whose secret it is given wrong.
     */
    async function collector(name: string, revoked?: string): Promise<Collector> {
      const intake = await FakeIntake.start();
      const folder = join(dir.path, name);
      mkdirSync(join(folder, "orgs.d"), { recursive: true });
      const c = { folder, intake };
      for (let i = 0; i < ORGS; i++) writeOrgFile(c, orgName(i));
      const config = writeConfig(folder, {
        defaults: {
          objects: { types: TYPES, start: START, lag: "1m", overlap: "1h", window: "1h", poll_every: "1s" },
        },
        orgs_dir: join(folder, "orgs.d"),
        // Named, so that the database can tell which collector wrote what.
        state: {
          postgres: { url: `${server().url(database)}?application_name=sfevents-${name}`, lease: LEASE },
        },
        dead_letters: { path: join(folder, "dead-letters.ndjson") },
      });
      const env: NodeJS.ProcessEnv = { INTAKE_KEY };
      for (const [org, sim] of orgs)
        env[secretVar(org)] = org === revoked ? "a-secret-the-org-revoked" : sim.clientSecret;
      const { child, done } = startCli(["collect", "--config", config, "--log-format", "json"], env);
      const started = { name, child, done, stderr: liveStderr(child), ...c };
      collectors.push(started);
      return started;
    }

    /** Every record a collector wrote for an org. */
    const records = (c: Collector, org: string) => outputRecords(join(c.folder, `${org}.ndjson`));
    const delivered = (org: string) => tallyObjects(collectors.flatMap((c) => records(c, org)));
    const missing = (org: string) => {
      const got = delivered(org);
      return [...(want.get(org) as Map<string, number>).keys()].filter((k) => !got.has(k));
    };
    const firstTen = Array.from({ length: ORGS }, (_, i) => orgName(i));
    const orgKeys = firstTen.map((org) => `org:${org}`);
    const allDelivered = (names = firstTen) => names.every((org) => missing(org).length === 0);
    const taken = (c: Collector) => leasesTaken(c.stderr());
    const holderOf = (c: Collector) => taken(c)[0]?.holder;
    const leasesOf = (holder: string) => leasesInDatabase((text) => server().sql(database, text), holder);
    const holding = (c: Collector) => leasesHeld(c.stderr());
    const delivering = (c: Collector) =>
      logLines(c.stderr()).filter((l) => l.msg.startsWith("delivered ")).length;
    const stop = stopCollector;
    /**
     * The units that reached the SIEM twice: the distinct (org, object, window) of the rows delivered
     * more than once. Only the units in flight when a collector stopped may be among them.
     */
    const unitsTwice = () => {
      const windows = new Set<string>();
      for (const org of firstTen) {
        const counts = delivered(org);
        for (const r of collectors.flatMap((c) => records(c, org))) {
          if ((counts.get(objectRowKey(r)) ?? 0) < 2) continue;
          const window = Math.floor((objectRowTime(r) - Date.parse(START)) / WINDOW_MS);
          windows.add(`${org} ${String(r.sobject)} ${window}`);
        }
      }
      return windows;
    };
    const expectEveryRowOnce = (names: readonly string[]) => {
      for (const org of names) {
        const got = delivered(org);
        expect(missing(org), `rows of ${org} missing`).toEqual([]);
        expect([...got.keys()].filter((k) => !want.get(org)?.has(k))).toEqual([]);
        expect(
          [...got].filter(([, n]) => n > 1),
          `rows of ${org} delivered twice`,
        ).toEqual([]);
      }
    };

    it("three collectors share ten orgs, each row once; an org file added starts, removed stops; an org with revoked credentials holds up no other", async () => {
      const healthy = firstTen.filter((org) => org !== "org-07");
      const [a, b, c] = await Promise.all([
        collector("a", "org-07"),
        collector("b", "org-07"),
        collector("c", "org-07"),
      ]);
      await waitFor(
        () => divided([a, b, c], orgKeys) && allDelivered(healthy),
        150_000,
        "the orgs to be divided and every row of the healthy orgs to arrive",
      );
      expectEveryRowOnce(healthy);
      expect(new Set([a, b, c].map(holderOf)).size).toBe(3);

      // The org with revoked credentials is said, by its holder, and the other orgs that collector
      // holds were delivered all the same.
      const revokedHolder = [a, b, c].find((x) => holding(x).has("org:org-07")) as Collector;
      const stopped = logLines(revokedHolder.stderr()).find((l) => l.msg.startsWith("org org-07 stopped:"));
      expect(stopped?.org).toBe("org-07");
      expect(stopped?.msg).toMatch(/The other orgs go on; org-07 is tried again in 5m/);
      expect(delivered("org-07").size).toBe(0);
      const alsoHeld = [...holding(revokedHolder)].filter((k) => k !== "org:org-07").map((k) => k.slice(4));
      expect(alsoHeld.length).toBeGreaterThan(0);
      for (const org of alsoHeld) expect(missing(org)).toEqual([]);

      // An eleventh org file, in every collector's orgs_dir: one of them takes it, without a restart.
      for (const x of [a, b, c]) writeOrgFile(x, LATE);
      await waitFor(() => allDelivered([LATE]), 60_000, `every row of ${LATE} to arrive`);
      expectEveryRowOnce([LATE]);
      const lateHolder = [a, b, c].filter((x) => holding(x).has(`org:${LATE}`));
      expect(lateHolder.length).toBe(1);
      // Removed: its holder stops it and gives its lease back.
      for (const x of [a, b, c]) rmSync(join(x.folder, "orgs.d", `${LATE}.yaml`));
      await waitFor(
        async () =>
          logLines(lateHolder[0].stderr()).some((l) => l.msg.startsWith(`org ${LATE} stopped:`)) &&
          (
            await server().sql(
              database,
              `SELECT count(*)::int AS n FROM sfevents_leases WHERE work_key = 'org:${LATE}' AND holder IS NOT NULL`,
            )
          ).rows[0].n === 0,
        30_000,
        `${LATE} to stop and its lease to be released`,
      );
      await Promise.all([a, b, c].map(stop));
      // A clean shutdown gives every lease back.
      const held = await server().sql(
        database,
        "SELECT count(*)::int AS n FROM sfevents_leases WHERE holder IS NOT NULL",
      );
      expect(held.rows[0].n).toBe(0);
    }, 240_000);

    it("a collector killed with kill -9 mid-delivery has its orgs taken over, and every row still arrives", async () => {
      const [a, b, c] = await Promise.all([collector("a"), collector("b"), collector("c")]);
      // A slow intake, so that the kill comes with most of the work still to do.
      for (const x of [a, b, c]) x.intake.delay(200);
      await waitFor(
        () => divided([a, b, c], orgKeys) && delivering(a) >= 3,
        120_000,
        "the orgs to be divided and the first collector to deliver",
      );
      a.child.kill("SIGKILL");
      await a.done;
      const heldByA = await leasesOf(holderOf(a));
      for (const x of [b, c]) x.intake.delay(0);
      // Every row may be in a file output before the takeover (the killed one wrote rows it never saw
      // acknowledged): the takeover is waited for too.
      const overs = () => [b, c].flatMap(taken).filter((t) => t.from === holderOf(a));
      // The killed one was mid-delivery: the survivors deliver units of the orgs they took over.
      const afterKill = () =>
        [b, c].flatMap((x) =>
          logLines(x.stderr()).filter(
            (l) => l.msg.startsWith("delivered ") && heldByA.has(`org:${String(l.org)}`),
          ),
        );
      await waitFor(
        () =>
          new Set(overs().map((t) => t.key)).size === heldByA.size &&
          afterKill().length > 0 &&
          allDelivered(),
        150_000,
        "the survivors to take over and every row to arrive",
      );

      // The survivors took over each org the killed one held, naming it, and delivered its units.
      expect(new Set(overs().map((t) => t.key))).toEqual(heldByA);
      for (const org of firstTen) expect(missing(org), `rows of ${org} missing`).toEqual([]);
      // Again only what was in flight at the kill: per source of each org, a unit read and one awaiting its acknowledgement per worker.
      expect(unitsTwice().size).toBeLessThanOrEqual(heldByA.size * TYPES.length * 2 * CONCURRENCY);
      await Promise.all([stop(b), stop(c)]);
    }, 300_000);

    it("a collector paused past its lease and resumed commits nothing stale: its writes are refused", async () => {
      // The first collector starts alone, its intake holding every answer: it takes the orgs and its
      // units wait for their acknowledgement when it is paused. (Started with the others and held only
      // once the orgs were divided, it had at times caught up with its frozen orgs while it gave the
      // others theirs, as a lease is given back only after the cycle under way, and it sent nothing
      // more to hold: a fresh-clone CI run waited a minute for a batch that never came.)
      const a = await collector("a");
      a.intake.fallback = "stall";
      await waitFor(() => a.intake.stalledCount > 0, 120_000, "a batch of the first collector to wait");
      const [b, c] = await Promise.all([collector("b"), collector("c")]);
      await waitFor(
        async () => (await collectorsAlive((text) => server().sql(database, text))) === 3,
        60_000,
        "the other collectors to join",
      );
      a.child.kill("SIGSTOP");
      const heldByA = await leasesOf(holderOf(a));
      await waitFor(
        () =>
          new Set(
            [b, c]
              .flatMap(taken)
              .filter((t) => t.from === holderOf(a))
              .map((t) => t.key),
          ).size === heldByA.size && allDelivered(),
        150_000,
        "the others to take over and deliver everything",
      );
      await server().sql(database, AUDIT_WRITES);
      const resumedAt = Date.now();
      a.intake.fallback = 200;
      a.child.kill("SIGCONT");
      a.intake.release();
      await waitFor(
        () => leasesLost(a.stderr()).size === heldByA.size,
        60_000,
        "the resumed collector to stop every org it lost",
      );

      await Promise.all([a, b, c].map(stop));
      const refusals = logLines(a.stderr()).filter((l) => l.msg.startsWith("The lease of "));
      expect(refusals.length).toBeGreaterThan(0);
      for (const refusal of refusals)
        expect(refusal.msg).toMatch(
          /^The lease of org:org-\d\d is no longer held by this collector \(.+, token \d+\): it expired and another collector may hold it, so nothing was recorded/,
        );
      // Whatever it wrote after it resumed, it wrote through a lease it took again after it resumed,
      // never through a lease it had lost. A source `org-03/objects:LoginEvent` is under `org:org-03`.
      const { rows: writes } = await server().sql(
        database,
        "SELECT source, at FROM audit WHERE app = 'sfevents-a'",
      );
      const stale = staleWrites(
        writes as { source: string; at: Date }[],
        a.stderr(),
        resumedAt,
        (source) => `org:${source.split("/")[0]}`,
      );
      expect(stale, "writes through a lost lease").toEqual([]);
      for (const org of firstTen) expect(missing(org), `rows of ${org} missing`).toEqual([]);
      expect(unitsTwice().size).toBeLessThanOrEqual(heldByA.size * TYPES.length * 2 * CONCURRENCY);
    }, 300_000);

    it("collect --once runs the orgs whose lease is free, and says which another collector holds", async () => {
      const a = await collector("a");
      await waitFor(
        () => divided([a], orgKeys) && allDelivered(),
        120_000,
        "the one collector to deliver every org",
      );
      const config = join(a.folder, "sfevents.yaml");
      const env: NodeJS.ProcessEnv = { INTAKE_KEY };
      for (const [org, sim] of orgs) env[secretVar(org)] = sim.clientSecret;
      const held = await runCli(["collect", "--once", "--config", config, "--log-format", "json"], env);
      expect(held.code, held.stderr.slice(-2000)).toBe(0);
      const skipped = logLines(held.stderr).filter((l) => l.outcome === "skipped");
      expect(skipped.map((l) => l.org).sort()).toEqual(firstTen);
      expect(skipped[0].msg).toMatch(/^org org-\d\d: skipped, another collector holds its lease$/);

      await stop(a);
      const before = firstTen.map((org) => records(a, org).length);
      const free = await runCli(["collect", "--once", "--config", config, "--log-format", "json"], env);
      expect(free.code, free.stderr.slice(-2000)).toBe(0);
      const ok = logLines(free.stderr).filter((l) => l.outcome === "ok");
      expect(ok.map((l) => l.org).sort()).toEqual(firstTen);
      // Everything was delivered by the first collector: the second run finds nothing new.
      expect(firstTen.map((org) => records(a, org).length)).toEqual(before);
      expectEveryRowOnce(firstTen);
      const leases = await server().sql(
        database,
        "SELECT count(*)::int AS n FROM sfevents_leases WHERE holder IS NOT NULL",
      );
      expect(leases.rows[0].n).toBe(0);
    }, 240_000);
  },
);
