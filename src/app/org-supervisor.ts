import { join } from "node:path";
import { formatDuration } from "../core/duration.js";
import { abortableSleep as pause } from "../core/sleep.js";
import { describeError } from "../core/errors.js";
import type { Logger } from "../observability/logger.js";
import { DeadLetters } from "../outputs/dead-letter.js";
import { isLeasable, type StateStore, type WorkLeases } from "../state/index.js";
import type { DecodeThreads } from "../sources/event-log-files/decode-threads.js";
import { type Assembly, assemble, openConfiguredState, type Watchers } from "./build.js";
import { collectorId, runLeased, withLease } from "./leased-work.js";
import { type Collection, type OrgConfig, orgFileNames, readOrgFile } from "./orgs.js";

/** An org stopped by an error no retry of a cycle can fix (credentials, a permission) is tried again this long after. */
export const ORG_RETRY_MS = 5 * 60_000;
/** How often `orgs_dir` is read for added, changed and removed files. */
export const ORGS_DIR_POLL_MS = 2_000;

/**
 * How collect runs one org's assembled collector: until `signal` aborts (resolving), or until an
 * error no cycle can get past (rejecting); with `--once`, one complete cycle, resolving to its exit
 * code. `drain` (the org's lease given back to another collector) ends it after its cycles under way.
 */
export type RunOrg = (
  app: Assembly,
  signal: AbortSignal,
  logger: Logger,
  drain?: AbortSignal,
) => Promise<number>;

/** Tells the operator endpoints of an org as it starts and stops; they are none without metrics.listen. */
export interface OrgWatch {
  watchers(org: string): Watchers;
  started(org: string, app: Assembly): void;
  failed(org: string, error: unknown): void;
  stopped(org: string): void;
}

interface Options {
  run: RunOrg;
  signal: AbortSignal;
  watch?: OrgWatch;
  /** How long after a stop an org is tried again: ORG_RETRY_MS. */
  retryMs?: number;
  /** The process's threads decoding Event Log Files, lent to every org. */
  threads?: DecodeThreads;
}

/** The lease of an org among collectors sharing a PostgreSQL state: the whole org, all its sources. */
export function orgLeaseKey(name: string): string {
  return `org:${name}`;
}

/**
 * Runs the orgs of a configuration side by side in one process, on one state and one dead-letter
 * file. Each org has its own client, outputs, engine and log lines (`org` in each); an org that fails
 * is said and tried again later, and never stops the others. With `once`, every org runs one
 * complete cycle and the result is non-zero when any failed.
 *
 * On a state collectors share (PostgreSQL), they divide the orgs by leases, a lease per org: each
 * collector runs only the orgs it holds, through the lease's fenced view of the state, and takes
 * over the orgs of a collector that stopped renewing its leases.
 */
export async function collectOrgs(
  collection: Collection,
  logger: Logger,
  options: Options & { once: boolean },
): Promise<number> {
  const state = await openConfiguredState(collection.process, logger);
  const postgres = collection.process.state.postgres;
  const leases = postgres && isLeasable(state) ? state.workLeases(collectorId(), postgres.lease) : undefined;
  const deadLetters = new DeadLetters(collection.process.dead_letters.path);
  const supervisor = new Supervisor(collection, logger, options, { state, deadLetters, leases });
  try {
    if (options.once) return await supervisor.once();
    await supervisor.forever();
    return 0;
  } finally {
    await deadLetters.close();
    await state.close();
  }
}

interface Shared {
  state: StateStore;
  deadLetters: DeadLetters;
  /** When the state is shared with other collectors: the leases the orgs are divided by. */
  leases?: WorkLeases;
}

type NamedOrg = OrgConfig & { name: string };

/**
 * An org collecting until it is stopped (or, when it is leased, until its lease is lost or given
 * back): paused and tried again after an error that stops it.
 */
class OrgRun {
  private readonly halt = new AbortController();
  readonly done: Promise<void>;

  constructor(
    readonly org: NamedOrg,
    private readonly supervisor: Supervisor,
    private readonly state: StateStore,
    until: AbortSignal,
    private readonly drain?: AbortSignal,
  ) {
    this.done = this.loop(AbortSignal.any([until, this.halt.signal]));
  }

  /** Stops it once its units in flight are settled. */
  async stop(): Promise<void> {
    this.halt.abort();
    await this.done;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const { name } = this.org;
    const { logger: parent, options } = this.supervisor;
    const logger = parent.child({ org: name });
    const { drain } = this;
    const retryMs = options.retryMs ?? ORG_RETRY_MS;
    const paused = drain ? AbortSignal.any([signal, drain]) : signal;
    while (!paused.aborted) {
      try {
        await this.supervisor.withAssembly(this.org, logger, this.state, (app) =>
          options.run(app, signal, logger, drain),
        );
        if (paused.aborted) break;
      } catch (err) {
        if (paused.aborted) break;
        logger.error(
          { err: describeError(err), retryInSeconds: retryMs / 1000 },
          `org ${name} stopped: ${describeError(err)} The other orgs go on; ${name} is tried again in ${formatDuration(retryMs)}.`,
        );
      }
      await pause(retryMs, paused);
      if (!paused.aborted) logger.info(`org ${name}: trying again`);
    }
  }
}

/** An org this collector would run if it held its lease. */
interface LeasedOrg {
  readonly leaseKey: string;
  readonly org: NamedOrg;
  /** Aborted when the org is removed or changed: its run, if this collector holds it, stops. */
  readonly removed: AbortController;
  run?: OrgRun;
}

class Supervisor {
  /** The running orgs by name, without leases. */
  private readonly running = new Map<string, OrgRun>();
  /** With leases: the orgs to divide with the other collectors, by name. */
  private readonly leased = new Map<string, LeasedOrg>();
  /** Aborted when an org is added: the collectors divide the orgs again at once. */
  private added = new AbortController();

  constructor(
    private readonly collection: Collection,
    readonly logger: Logger,
    readonly options: Options,
    private readonly shared: Shared,
  ) {}

  /** Assembles the org's collector on `state`, hands it to `use`, and closes it whatever happens. */
  async withAssembly<T>(
    org: OrgConfig,
    logger: Logger,
    state: StateStore,
    use: (app: Assembly) => Promise<T>,
  ): Promise<T> {
    const name = org.name as string;
    const watch = this.options.watch;
    let app: Assembly | undefined;
    try {
      app = await assemble(org.config, logger, watch?.watchers(name), {
        shared: { org: name, state, deadLetters: this.shared.deadLetters },
        threads: this.options.threads,
      });
      watch?.started(name, app);
      return await use(app);
    } catch (err) {
      watch?.failed(name, err);
      throw err;
    } finally {
      await app?.close();
    }
  }

  /** Every org's complete cycle, side by side; then one line per org. Non-zero when any failed. */
  async once(): Promise<number> {
    const orgs = [...this.collection.orgs];
    let invalidFiles = 0;
    const dir = this.collection.orgsDir;
    if (dir !== undefined) {
      for (const file of orgFileNames(dir)) {
        const read = readOrgFile(this.collection, dir, file);
        if (read?.problem !== undefined) {
          invalidFiles++;
          this.logger.error({ file: read.path }, `not collected: ${read.problem}`);
        } else if (read?.org && this.nameTaken(read.org, orgs)) invalidFiles++;
        else if (read?.org) orgs.push(read.org);
      }
    }
    if (orgs.length === 0)
      this.logger.warn("no org to collect: orgs is empty and orgs_dir holds no org file");
    const outcomes = await Promise.all(orgs.map((org) => this.onceFor(org)));
    for (const { name, code, error, skipped } of outcomes) {
      if (skipped)
        this.logger.info(
          { org: name, outcome: "skipped" },
          `org ${name}: skipped, another collector holds its lease`,
        );
      else if (error !== undefined)
        this.logger.error({ org: name, outcome: "failed" }, `org ${name}: failed: ${error}`);
      else if (code !== 0)
        this.logger.warn(
          { org: name, outcome: "partial" },
          `org ${name}: not everything was delivered; the next run collects the rest`,
        );
      else this.logger.info({ org: name, outcome: "ok" }, `org ${name}: everything available was delivered`);
    }
    return invalidFiles > 0 || outcomes.some((o) => o.code !== 0) ? 1 : 0;
  }

  /** One org's complete cycle (under its lease, when the state is shared): its exit code, or why it has none. */
  private async onceFor(
    org: OrgConfig,
  ): Promise<{ name: string; code: number; error?: string; skipped?: boolean }> {
    const name = org.name as string;
    const logger = this.logger.child({ org: name });
    const { signal, run } = this.options;
    const { leases } = this.shared;
    try {
      if (leases === undefined) {
        const code = await this.withAssembly(org, logger, this.shared.state, (app) =>
          run(app, signal, logger),
        );
        return { name, code };
      }
      const outcome = await withLease(leases, orgLeaseKey(name), logger, signal, (state, stopped) =>
        this.withAssembly(org, logger, state, (app) => run(app, stopped, logger)),
      );
      if (!outcome.ran) return { name, code: 0, skipped: true };
      return { name, code: outcome.lost ? 1 : outcome.value };
    } catch (err) {
      return { name, code: 1, error: describeError(err) };
    }
  }

  /** Every org until the signal aborts; `orgs_dir` read again every few seconds. */
  async forever(): Promise<void> {
    for (const org of this.collection.orgs) this.start(org);
    const dividing = this.divideOrgs();
    const dir = this.collection.orgsDir;
    if (dir !== undefined) {
      this.logger.info(
        { orgsDir: dir },
        `watching ${dir} for org files (*.yaml, *.yml): one added starts its org, changed restarts it, removed stops it`,
      );
      const files = new OrgsDir(this, this.collection, dir);
      while (!this.options.signal.aborted) {
        await files.read();
        await pause(ORGS_DIR_POLL_MS, this.options.signal);
      }
    } else
      await new Promise((resolve) => this.options.signal.addEventListener("abort", resolve, { once: true }));
    await Promise.all([...this.running.values()].map((run) => run.done));
    await dividing;
  }

  /** With leases, the orgs divided with the other collectors until the signal aborts. */
  private async divideOrgs(): Promise<void> {
    const { leases } = this.shared;
    if (leases === undefined) return;
    this.logger.info(
      { holder: leases.holder, leaseSeconds: leases.durationMs / 1000 },
      `sharing the orgs with the other collectors on this state: a lease per org, of ${formatDuration(leases.durationMs)}`,
    );
    await runLeased(
      () => [...this.leased.values()],
      leases,
      this.logger,
      this.options.signal,
      async (work, state, signal, drain) => {
        work.run = new OrgRun(work.org, this, state, AbortSignal.any([signal, work.removed.signal]), drain);
        await work.run.done;
      },
      { noun: "orgs", changed: () => this.added.signal },
    );
  }

  start(org: OrgConfig): void {
    const name = org.name as string;
    if (this.shared.leases === undefined) {
      this.running.set(name, new OrgRun({ ...org, name }, this, this.shared.state, this.options.signal));
      return;
    }
    this.leased.set(name, {
      leaseKey: orgLeaseKey(name),
      org: { ...org, name },
      removed: new AbortController(),
    });
    this.added.abort();
    this.added = new AbortController();
  }

  async stop(name: string): Promise<void> {
    const run = this.running.get(name);
    this.running.delete(name);
    await run?.stop();
    const leased = this.leased.get(name);
    this.leased.delete(name);
    leased?.removed.abort();
    await leased?.run?.done;
    this.options.watch?.stopped(name);
  }

  /** Whether another org already has this one's name: said, and the org is not collected. */
  nameTaken(org: OrgConfig, others: readonly OrgConfig[]): boolean {
    const other = others.find((o) => o.name === org.name && o.from !== org.from);
    if (other === undefined) return false;
    this.logger.error(
      { file: org.from },
      `not collected: ${org.from} is the org ${org.name}, which ${other.from} already is; give one of them another name`,
    );
    return true;
  }

  runningOrgs(): OrgConfig[] {
    const runs = [...this.running.values(), ...this.leased.values()];
    return [...this.collection.orgs, ...runs.map((run) => run.org)];
  }
}

/**
 * The org files of `orgs_dir`, read again and again: a file added starts its org, a changed one
 * restarts it (once its units in flight are settled), a removed one stops it. A file that does not
 * validate is said once, and its org keeps its last good configuration (or is not started).
 */
class OrgsDir {
  /** The text last read of each file, and the org it started, if it did. */
  private readonly files = new Map<string, { text: string; org?: string }>();

  constructor(
    private readonly supervisor: Supervisor,
    private readonly collection: Collection,
    private readonly dir: string,
  ) {}

  async read(): Promise<void> {
    const { logger } = this.supervisor;
    let names: string[];
    try {
      names = orgFileNames(this.dir);
    } catch (err) {
      logger.error(`cannot read orgs_dir ${this.dir}: ${(err as Error).message}; the orgs running go on`);
      return;
    }
    for (const [file, known] of this.files) {
      if (names.includes(file)) continue;
      this.files.delete(file);
      if (known.org === undefined) continue;
      logger.info({ org: known.org }, `org ${known.org} stopped: ${join(this.dir, file)} was removed`);
      await this.supervisor.stop(known.org);
    }
    for (const file of names) {
      const read = readOrgFile(this.collection, this.dir, file);
      const known = this.files.get(file);
      if (read === undefined || read.text === known?.text) continue;
      if (read.org === undefined) {
        this.files.set(file, { text: read.text, org: known?.org });
        logger.error(
          { file: read.path, ...(known?.org ? { org: known.org } : {}) },
          `${read.problem} ${known?.org ? `The org ${known.org} goes on with its previous configuration.` : "The org is not started."}`,
        );
        continue;
      }
      const org = read.org;
      const name = org.name as string;
      if (known?.org !== undefined) {
        logger.info(
          { org: known.org },
          `${read.path} changed: restarting org ${name} once its units in flight are settled`,
        );
        await this.supervisor.stop(known.org);
      }
      if (this.supervisor.nameTaken(org, this.supervisor.runningOrgs())) {
        this.files.set(file, { text: read.text });
        continue;
      }
      this.files.set(file, { text: read.text, org: name });
      logger.info({ org: name, file: read.path }, `org ${name} started from ${read.path}`);
      this.supervisor.start(org);
    }
  }
}
