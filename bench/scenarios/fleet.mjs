import { writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import pg from "pg";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { postgresUnavailable, startPostgres } from "../../test/support/postgres-server.mjs";
import { sfevents } from "../lib/cli.mjs";
import { launch, sampleProcess, stop, treeCpuSeconds } from "../lib/process.mjs";
import { round } from "../lib/report.mjs";
import { rowKey } from "../lib/row-key.mjs";
import { currentHour, startIntake } from "../lib/services.mjs";

/**
 * fleet (issue 12): many orgs, many collectors. N simulated orgs in one `sfevents simulate --orgs N`
 * process, K `sfevents collect` processes on one configuration (its orgs_dir written by the
 * simulator, the state in a real PostgreSQL), one intake. Three phases:
 *
 * 1. catch-up: the orgs' clocks stand still; the collectors deliver every hourly file of the orgs'
 *    history. Files and rows per second.
 * 2. rest: 30 s with nothing new: what polling the orgs and holding their leases costs.
 * 3. live: the bench moves every org's clock a minute forward each second (an hour a minute), so
 *    new files appear as they would, 60 times faster; a file counts as created at the wall moment a
 *    step moved its org's clock past its CreatedDate, and as acknowledged when the last of its rows
 *    reached the intake (which acknowledges each batch as it takes it). Lag p50 and p99 over them.
 *
 * Every row the orgs published in hourly files is expected at the intake exactly once (rows that a
 * latent file repeats count once: the collector deduplicates them); the scenario ends when all are
 * there, or fails on a timeout. Delivered, missing, unexpected and duplicate rows are counted, so a
 * fleet that collects an org twice or loses one shows. Per phase: PostgreSQL statements and
 * transactions per second, each process's CPU time (PostgreSQL's is its server's and its
 * backends'), the API requests the orgs answered; and each process's peak RSS.
 *
 *   BENCH_FLEET_ORGS (default 10 × BENCH_SCALE, at least 2), BENCH_FLEET_COLLECTORS (default 3).
 */

const DAY_MS = 86_400_000;
const FULL_ORGS = 10;
const COLLECTORS = 3;
const FULL_DAYS = 2;
/** The live phase: steps of one simulated minute each wall second. */
const STEP_MS = 1000;
const STEP = "1m";
const FULL_STEPS = 120;
const POLL_MS = 5000;
const POLL_EVERY = `${POLL_MS / 1000}s`;
const CATCH_UP_TIMEOUT_MS = 15 * 60_000;
const DRAIN_TIMEOUT_MS = 2 * 60_000;
/** The phase at rest: six polls of every org. */
const REST_MS = 30_000;
const INTAKE_KEY = "bench-intake-key";

export async function fleet(context) {
  const why = postgresUnavailable();
  if (why !== undefined) return { scenario: "fleet", skipped: why };
  const { scale, seed } = context.options;
  const orgs = count("BENCH_FLEET_ORGS", Math.max(2, Math.round(FULL_ORGS * scale)));
  const collectors = count("BENCH_FLEET_COLLECTORS", COLLECTORS);
  const days = Math.max(1, Math.round(FULL_DAYS * scale));
  const steps = Math.max(30, Math.round(FULL_STEPS * scale));
  const log = (text) => context.log(`  fleet: ${text}`);

  const postgres = await startPostgres({ settings: { shared_preload_libraries: "pg_stat_statements" } });
  const running = [];
  try {
    const database = await postgres.createDatabase("fleet");
    // In the server's own database: the view lists every database's statements.
    await postgres.sql("postgres", "CREATE EXTENSION pg_stat_statements");
    const start = currentHour();
    const simulator = await startOrgs(context, { orgs, seed, days, start });
    running.push(simulator);
    const rowsFile = join(context.tmpDir, "fleet-intake-rows.txt");
    const intake = await startIntake(["--rows", rowsFile]);
    running.push(intake);
    const distinct = progressOf(intake.run);
    const configPath = join(context.tmpDir, "fleet-config.json");
    writeFileSync(
      configPath,
      JSON.stringify({
        orgs_dir: simulator.orgsDir,
        defaults: {
          event_log_files: {
            interval: "hourly",
            start: new Date(Math.floor((start - days * DAY_MS) / DAY_MS) * DAY_MS).toISOString(),
            poll_every: POLL_EVERY,
          },
          outputs: { sekoia: { url: intake.url, intake_key: INTAKE_KEY } },
        },
        state: { postgres: { url: postgres.url(database) } },
        dead_letters: { path: join(context.tmpDir, "fleet-dead-letters.ndjson") },
      }),
    );
    const truth0 = await groundTruth(simulator.tenants);
    log(
      `${orgs} orgs (${days} day(s) of history), ${collectors} collector(s): ${truth0.files.length} hourly files, ${truth0.expected.size} rows to catch up`,
    );

    const services = { simulator: simulator.run, intake: intake.run };
    const probe = await pgProbe(postgres, database);
    running.push({ stop: () => probe.close() });
    const fleetRuns = [];
    const sampleAll = async () => ({
      at: performance.now(),
      cpu: cpuOf(services, fleetRuns, postgres),
      pg: await probe.counters(),
      requests: await apiRequests(simulator.tenants),
      rss: fleetRuns.map((c) => sampleProcess(c.run.child.pid)?.rssMb ?? 0),
    });
    const before = await sampleAll();
    for (let i = 0; i < collectors; i++) {
      const run = launch(
        process.execPath,
        sfevents(context, "fleet", `collector-${i + 1}`, [
          "collect",
          "--config",
          configPath,
          "--log-format",
          "json",
        ]),
        { env: simulator.env },
      );
      fleetRuns.push({ run, cycles: cyclesOf(run) });
      running.push({ stop: () => stop(run) });
    }
    const died = Promise.race(
      [...fleetRuns.map((c, i) => [`collector ${i + 1}`, c.run]), ...Object.entries(services)].map(
        ([what, run]) =>
          run.exited.then((r) => {
            throw new Error(
              `${what} stopped during the run (status ${r.code}, ${r.signal}):\n${r.stderr.trim()}`,
            );
          }),
      ),
    );
    died.catch(() => {});
    const watching = (promise) => Promise.race([promise, died]);

    // 1. Catch-up.
    await watching(
      until(
        () => distinct() >= truth0.expected.size,
        CATCH_UP_TIMEOUT_MS,
        () =>
          `the catch-up did not end in ${CATCH_UP_TIMEOUT_MS / 60_000} min: ${distinct()} of ${truth0.expected.size} rows at the intake`,
      ),
    );
    const caughtUp = await sampleAll();
    const catchUpSeconds = (caughtUp.at - before.at) / 1000;
    log(`caught up in ${catchUpSeconds.toFixed(1)} s`);

    // 2. At rest: every file delivered, the clocks still; what polling and holding the orgs cost.
    // The last commits after the last acknowledgement are let through first.
    await watching(new Promise((r) => setTimeout(r, POLL_MS)));
    const restStart = await sampleAll();
    await watching(new Promise((r) => setTimeout(r, REST_MS)));
    const rest = await sampleAll();

    // 3. Live: an hour a minute.
    const stepsByOrg = new Map(simulator.tenants.map((t) => [t.name, []]));
    for (let i = 0; i < steps; i++) {
      const next = performance.now() + STEP_MS;
      await watching(
        Promise.all(
          simulator.tenants.map(async (tenant) => {
            const res = await fetch(`${tenant.url}/__sim/clock`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ advance: STEP }),
            });
            const { time } = await res.json();
            stepsByOrg.get(tenant.name).push({ sim: Date.parse(time), wall: Date.now() });
          }),
        ),
      );
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
    // The figures are taken once the intake has been quiet for two polls, before the bench reads
    // the ground truth (the simulator's CPU and the bench's own would otherwise be in them); then
    // every row is checked to be there, waiting for any still due.
    await watching(settled(distinct, 2 * POLL_MS + 2000, DRAIN_TIMEOUT_MS));
    const live = await sampleAll();
    const truth = await groundTruth(simulator.tenants);
    await watching(
      until(
        () => distinct() >= truth.expected.size,
        DRAIN_TIMEOUT_MS,
        () =>
          `the live phase's files were not all delivered ${DRAIN_TIMEOUT_MS / 1000} s after its last step: ${distinct()} of ${truth.expected.size} rows at the intake`,
      ),
    );
    const maxConnections = probe.maxConnections();

    const collectorResults = await Promise.all(fleetRuns.map(({ run }) => stop(run)));
    const intakeResult = await intake.stop();
    const simulatorResult = await simulator.stop();
    await probe.close();
    running.length = 0;

    const arrivals = await readArrivals(rowsFile);
    const check = tally(truth, arrivals);
    const lag = liveLag(truth, truth0, stepsByOrg, arrivals);
    log(
      `${check.delivered} of ${check.expected} rows delivered, ${check.missing} missing, ${check.unexpected} unexpected, ${intakeResult.received.duplicates} duplicates; live lag p50 ${lag.p50} s, p99 ${lag.p99} s over ${lag.files} files`,
    );
    const catchUp = phase(before, caughtUp);
    const busiest = Object.entries(catchUp.cpu_s).sort((x, y) => y[1] - x[1])[0];
    const correct = check.missing === 0 && check.unexpected === 0 && intakeResult.received.duplicates === 0;
    return {
      scenario: "fleet",
      orgs,
      collectors,
      days,
      orgs_served: check.orgsServed,
      // Per collector: the orgs it delivered files of, those it held at the end, the files it delivered.
      orgs_delivered_by_collector: fleetRuns.map((c) => c.cycles.orgs.size),
      orgs_held_by_collector: fleetRuns.map((c) => c.cycles.held.size),
      files_by_collector: fleetRuns.map((c) => c.cycles.delivered),
      leases_given_back: fleetRuns.reduce((sum, c) => sum + c.cycles.gaveBack, 0),
      files: truth0.files.length,
      rows: check.delivered,
      seconds: round(catchUpSeconds, 2),
      files_per_s: round(truth0.files.length / catchUpSeconds, 1),
      rows_per_s: Math.round(truth0.expected.size / catchUpSeconds),
      live_files: lag.files,
      lag_p50_s: lag.p50,
      lag_p99_s: lag.p99,
      lag_max_s: lag.max,
      poll_every: POLL_EVERY,
      pg_max_connections: maxConnections,
      // Per phase: PostgreSQL's statements and transactions a second, each process's CPU seconds,
      // the Salesforce API requests by route.
      phases: { catch_up: catchUp, rest: phase(restStart, rest), live: phase(rest, live) },
      // CPU seconds per second of the catch-up: 1.0 is one core busy the whole time.
      cpu_share_catch_up: Object.fromEntries(
        Object.entries(catchUp.cpu_s).map(([k, v]) => [k, round(v / catchUp.seconds, 2)]),
      ),
      busiest_catch_up: busiest[0],
      // At the end of the phase at rest: what holding the orgs costs, their catch-up's buffers returned.
      rss_at_rest_mb: Object.fromEntries(rest.rss.map((mb, i) => [`collector_${i + 1}`, round(mb, 1)])),
      peak_rss_mb: {
        simulator: round(simulatorResult.peakRssMb, 1),
        intake: round(intakeResult.peakRssMb, 1),
        ...Object.fromEntries(collectorResults.map((r, i) => [`collector_${i + 1}`, round(r.peakRssMb, 1)])),
      },
      expected_rows: check.expected,
      missing_rows: check.missing,
      unexpected_rows: check.unexpected,
      duplicate_rows: intakeResult.received.duplicates,
      limit:
        `${orgs} orgs, ${collectors} collectors: ${round(truth0.files.length / catchUpSeconds, 1)} files/s, ` +
        `lag p50 ${lag.p50} s, p99 ${lag.p99} s; ${check.missing} missing, ${intakeResult.received.duplicates} duplicates`,
      target: "every row delivered, none twice",
      met: correct,
    };
  } finally {
    for (const service of running.reverse()) await service.stop().catch(() => {});
    await postgres.stop();
  }
}

/** What happened between two samples. */
function phase(from, to) {
  const seconds = (to.at - from.at) / 1000;
  const delta = (a, b) => Object.fromEntries(Object.keys(b).map((k) => [k, b[k] - (a[k] ?? 0)]));
  return {
    seconds: round(seconds, 1),
    pg_statements_per_s: round((to.pg.statements - from.pg.statements) / seconds, 1),
    pg_transactions_per_s: round((to.pg.transactions - from.pg.transactions) / seconds, 1),
    cpu_s: Object.fromEntries(Object.entries(delta(from.cpu, to.cpu)).map(([k, v]) => [k, round(v, 2)])),
    api_requests: delta(from.requests, to.requests),
  };
}

function count(name, fallback) {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${name}=${text} is not valid: give a whole number of at least 1.`);
  return n;
}

/** `sfevents simulate --orgs N --write-orgs-dir DIR`: the tenants' URLs, the orgs_dir and the environment its files read. */
async function startOrgs(context, { orgs, seed, days, start }) {
  const scenario = join(context.tmpDir, "fleet-scenario.json");
  writeFileSync(
    scenario,
    JSON.stringify({
      seed,
      start: start.toISOString(),
      days,
      // Still in the catch-up, moved by the bench in the live phase.
      clock: { running: false },
      // An hour a minute: a 2-hour token would expire every 2 minutes, and a Developer Edition's
      // allowance (15,000 calls) would slow the catch-up down, neither of which is measured here.
      oauth: { token_ttl: "24h" },
      api: { daily_limit: 100_000 },
    }),
  );
  const orgsDir = join(context.tmpDir, "fleet-orgs.d");
  const run = launch(
    process.execPath,
    sfevents(context, "fleet", "simulator", [
      "simulate",
      "--scenario",
      scenario,
      "--orgs",
      String(orgs),
      "--write-orgs-dir",
      orgsDir,
    ]),
  );
  const lines = await linesUntil(
    run,
    (all) => all.filter((l) => l.startsWith("SFEVENTS_SIM_")).length === orgs,
    "sfevents simulate --orgs",
  );
  const tenants = lines
    .filter((l) => /^org-\d+ http:/.test(l))
    .map((l) => {
      const [name, url] = l.split(" ");
      return { name, url };
    });
  const env = Object.fromEntries(
    lines
      .filter((l) => l.startsWith("SFEVENTS_SIM_"))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  return { run, tenants, orgsDir, env, stop: () => stop(run) };
}

/** Lines of a process's standard output until `done(lines)`; an error if it exits first. */
function linesUntil(run, done, what) {
  return new Promise((resolve, reject) => {
    const lines = [];
    let rest = "";
    const onData = (chunk) => {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop();
      lines.push(...parts);
      if (!done(lines)) return;
      run.child.stdout.off("data", onData);
      resolve(lines);
    };
    run.child.stdout.on("data", onData);
    run.exited.then(
      (r) => reject(new Error(`${what} stopped before it was ready (status ${r.code}):\n${r.stderr.trim()}`)),
      reject,
    );
  });
}

/** The intake's count of distinct rows, as its `{"distinct": N}` lines tell it. */
function progressOf(run) {
  let distinct = 0;
  let rest = "";
  run.child.stdout.on("data", (chunk) => {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop();
    for (const line of parts) if (line.startsWith('{"distinct"')) distinct = JSON.parse(line).distinct;
  });
  return () => distinct;
}

/**
 * From a collector's JSON log: the orgs it delivered files of and how many files, the orgs whose
 * lease it holds (took, took over, minus given back) and how many it gave back.
 */
function cyclesOf(run) {
  const cycles = { orgs: new Set(), delivered: 0, held: new Set(), gaveBack: 0 };
  let rest = "";
  run.child.stderr.on("data", (chunk) => {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop();
    for (const line of parts) {
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        continue;
      }
      const lease =
        typeof entry.lease === "string" && entry.lease.startsWith("org:") ? entry.lease : undefined;
      if (lease !== undefined && /^took /.test(entry.msg)) cycles.held.add(lease);
      if (lease !== undefined && /^giving the lease/.test(entry.msg)) {
        cycles.held.delete(lease);
        cycles.gaveBack++;
      }
      if (typeof entry.delivered !== "number" || entry.delivered === 0) continue;
      cycles.delivered += entry.delivered;
      if (entry.org !== undefined) cycles.orgs.add(entry.org);
    }
  });
  return cycles;
}

/**
 * Every tenant's hourly files now, and the rows expected of them: the key of each distinct row (as
 * the collector sends it: the row's values keyed by the header, JSON.stringify's text) and, per
 * file, its org, CreatedDate and the keys of its rows.
 */
async function groundTruth(tenants) {
  const files = [];
  const expected = new Map();
  for (const tenant of tenants) {
    const hourly = new Map();
    for await (const file of ndjson(`${tenant.url}/__sim/files`)) {
      if (file.Interval !== "Hourly") continue;
      const entry = { org: tenant.name, id: file.Id, created: Date.parse(file.CreatedDate), keys: [] };
      hourly.set(file.Id, entry);
      files.push(entry);
    }
    for await (const row of ndjson(`${tenant.url}/__sim/rows`)) {
      const file = hourly.get(row.fileId);
      if (file === undefined) continue;
      const key = rowKey(JSON.stringify(row.values));
      file.keys.push(key);
      expected.set(key, tenant.name);
    }
  }
  return { files, expected };
}

async function* ndjson(url) {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  for await (const line of createInterface({ input: Readable.fromWeb(res.body) })) {
    if (line !== "") yield JSON.parse(line);
  }
}

/** The intake's file: each distinct row's key, first arrival (ms since the epoch) and count. */
async function readArrivals(path) {
  const arrivals = new Map();
  for (const line of (await readFile(path, "utf8")).split("\n")) {
    if (line === "") continue;
    const [key, first, times] = line.split(" ");
    arrivals.set(key, { first: Number(first), count: Number(times) });
  }
  return arrivals;
}

function tally(truth, arrivals) {
  let delivered = 0;
  const served = new Set();
  for (const [key, org] of truth.expected) {
    if (!arrivals.has(key)) continue;
    delivered++;
    served.add(org);
  }
  let unexpected = 0;
  for (const key of arrivals.keys()) if (!truth.expected.has(key)) unexpected++;
  return {
    expected: truth.expected.size,
    delivered,
    missing: truth.expected.size - delivered,
    unexpected,
    orgsServed: served.size,
  };
}

/**
 * Seconds from each live-phase file's creation (the step that moved its org's clock past its
 * CreatedDate) to the arrival of the last of its rows; p50, p99 and max over those files.
 */
function liveLag(truth, truth0, stepsByOrg, arrivals) {
  const old = new Set(truth0.files.map((f) => f.id));
  const lags = [];
  for (const file of truth.files) {
    if (old.has(file.id) || file.keys.length === 0) continue;
    const step = stepsByOrg.get(file.org).find((s) => s.sim >= file.created);
    const times = file.keys.map((k) => arrivals.get(k)?.first);
    if (step === undefined || times.some((t) => t === undefined)) continue;
    lags.push((Math.max(...times) - step.wall) / 1000);
  }
  lags.sort((a, b) => a - b);
  const at = (share) =>
    lags.length === 0 ? null : round(lags[Math.min(lags.length - 1, Math.ceil(share * lags.length) - 1)], 2);
  return { files: lags.length, p50: at(0.5), p99: at(0.99), max: at(1) };
}

/** CPU seconds so far of the simulator, the intake, PostgreSQL and each collector. */
function cpuOf(services, fleetRuns, postgres) {
  return {
    simulator: services.simulator.sample().cpuSeconds,
    intake: services.intake.sample().cpuSeconds,
    postgres: treeCpuSeconds(postgres.pid()),
    ...Object.fromEntries(fleetRuns.map((c, i) => [`collector_${i + 1}`, c.run.sample().cpuSeconds])),
  };
}

/**
 * PostgreSQL's counters for the collectors' database, read over one connection to another database
 * so that reading them counts in neither: statements (pg_stat_statements' calls, BEGIN and COMMIT
 * included) and transactions (pg_stat_database's commits and rollbacks, which a backend reports
 * within a second). And the most connections of application `sfevents` seen, sampled every 500 ms.
 */
async function pgProbe(postgres, database) {
  const client = new pg.Client({ connectionString: postgres.url("postgres") });
  await client.connect();
  let most = 0;
  const timer = setInterval(async () => {
    try {
      const { rows } = await client.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'sfevents'",
      );
      most = Math.max(most, rows[0].n);
    } catch {
      // Closing.
    }
  }, 500);
  return {
    async counters() {
      const { rows } = await client.query(
        `SELECT (SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE dbid = d.datid)::bigint AS statements,
                (xact_commit + xact_rollback)::bigint AS transactions
           FROM pg_stat_database d WHERE datname = $1`,
        [database],
      );
      return { statements: Number(rows[0].statements), transactions: Number(rows[0].transactions) };
    },
    maxConnections: () => most,
    async close() {
      clearInterval(timer);
      await client.end();
    },
  };
}

/** Until `value()` has not changed for `quietMs`, or `ms` have passed. */
async function settled(value, quietMs, ms) {
  const deadline = Date.now() + ms;
  let last = value();
  let since = Date.now();
  while (Date.now() - since < quietMs && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    if (value() !== last) {
      last = value();
      since = Date.now();
    }
  }
}

/** The Salesforce API requests every tenant has answered so far, by route, added up. */
async function apiRequests(tenants) {
  const total = {};
  for (const tenant of tenants) {
    const { requests } = await (await fetch(`${tenant.url}/__sim/stats`)).json();
    for (const [route, n] of Object.entries(requests)) total[route] = (total[route] ?? 0) + n;
  }
  return total;
}

async function until(condition, ms, message) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(message());
    await new Promise((r) => setTimeout(r, 100));
  }
}
