import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { describeError } from "../core/errors.js";
import { abortableSleep as sleep } from "../core/sleep.js";
import type { Logger } from "../observability/logger.js";
import type { AcquiredLease, Lease, StateStore, WorkLeases } from "../state/index.js";

/**
 * Collectors sharing a PostgreSQL state divide their work by leases (state/leases.ts): a single
 * org's sources, or the orgs of a configuration with several. Each collector runs only the work it
 * holds, through its lease's fenced view of the state, renews the leases while the work runs, takes
 * its share of the rest and gives back what is over it.
 */

/** Work collectors divide by leases: a source of one org, or a whole org among several. */
export interface LeasedWork {
  /** The same in every collector with this configuration, and unique in the shared database. */
  readonly leaseKey: string;
}

/**
 * Runs one piece of work, committing through `state`, until `signal` aborts (the lease lost, a
 * shutdown), or until `drain` aborts and the cycle under way ends (the lease given back: nothing in
 * flight is dropped, so nothing is sent twice).
 */
export type LeasedRun<W extends LeasedWork> = (
  work: W,
  state: StateStore,
  signal: AbortSignal,
  drain: AbortSignal,
) => Promise<void>;

/** This process among the collectors: host, pid and a few random bytes (a pid is reused after a restart). */
export function collectorId(): string {
  return `${hostname()}/${process.pid}/${randomBytes(3).toString("hex")}`;
}

/** How runLeased is told of its work. */
export interface LeasedWorkOptions {
  /** What the work is, in log lines: "sources", "orgs". */
  noun: string;
  /** Aborted when the work changed (an org added): the next division is tried at once, not at the next round. */
  changed?: () => AbortSignal;
}

/**
 * Runs the work this collector holds until `signal` aborts, trying for the rest at a third of the
 * lease (with some jitter, so collectors started together take turns): never more than its share,
 * the work divided by the collectors alive, rounded up. `work` is asked again every round, so work
 * may come and go; work that goes is stopped by its own run. A run that fails with an error that
 * stops collection ends every run, and is thrown once the leases are released.
 */
export async function runLeased<W extends LeasedWork>(
  work: () => readonly W[],
  leases: WorkLeases,
  logger: Logger,
  signal: AbortSignal,
  run: LeasedRun<W>,
  options: LeasedWorkOptions,
): Promise<void> {
  const held = new Map<string, { lease: HeldLease; running: Promise<void>; givingBack?: boolean }>();
  let failure: unknown;
  const start = (item: W, acquired: AcquiredLease) => {
    const lease = new HeldLease(leases, acquired, logger);
    const running = run(item, lease.state, AbortSignal.any([signal, lease.stopped]), lease.draining)
      .catch((err) => {
        failure ??= err;
      })
      .finally(async () => {
        await lease.end();
        held.delete(item.leaseKey);
      });
    held.set(item.leaseKey, { lease, running });
  };
  const share = async () => {
    const items = work();
    const alive = await leases.alive();
    const fair = Math.ceil(items.length / alive);
    const keeping = [...held.values()].filter((h) => !h.givingBack && !h.lease.lost);
    if (keeping.length > fair) {
      // One at a time, so that the collector that joined takes it before the next one goes.
      const last = keeping[keeping.length - 1];
      last.givingBack = true;
      logger.info(
        { lease: last.lease.key, collectors: alive, [options.noun]: items.length },
        `giving the lease of ${last.lease.key} back: ${alive} collectors share ${items.length} ${options.noun}`,
      );
      last.lease.giveBack();
      return;
    }
    let holding = keeping.length;
    // From a random place in the list: collectors asking together ask for different work first.
    const first = Math.floor(Math.random() * items.length);
    for (let i = 0; i < items.length && holding < fair && !signal.aborted; i++) {
      const item = items[(first + i) % items.length];
      if (held.has(item.leaseKey)) continue;
      const acquired = await leases.acquire(item.leaseKey);
      if (acquired === undefined) continue;
      start(item, acquired);
      holding++;
    }
  };

  const every = leases.durationMs / 3;
  try {
    await leases.alive();
    await sleep(Math.random() * Math.min(every, 1_000), signal);
    while (!signal.aborted) {
      const changed = options.changed?.();
      await share().catch((err) =>
        logger.warn(
          { err: describeError(err) },
          `cannot divide the work with the other collectors this time: ${describeError(err)}`,
        ),
      );
      const until = changed === undefined ? signal : AbortSignal.any([signal, changed]);
      await sleep(every * (0.9 + 0.2 * Math.random()), until);
    }
  } finally {
    await Promise.allSettled([...held.values()].map((h) => h.running));
    await leases.leave().catch(() => {});
  }
  if (failure !== undefined) throw failure;
}

/** What withLease did: nothing when another collector holds the lease. */
export type LeasedOutcome<T> = { ran: false } | { ran: true; value: T; lost: boolean };

/**
 * One run under the key's lease when it is free (or expired), the lease renewed meanwhile and
 * released after; when another collector holds it, that is said and nothing runs.
 */
export async function withLease<T>(
  leases: WorkLeases,
  key: string,
  logger: Logger,
  signal: AbortSignal,
  use: (state: StateStore, signal: AbortSignal) => Promise<T>,
): Promise<LeasedOutcome<T>> {
  const acquired = await leases.acquire(key);
  if (acquired === undefined) {
    logger.info({ lease: key }, `skipped ${key}: another collector holds its lease`);
    return { ran: false };
  }
  const lease = new HeldLease(leases, acquired, logger);
  try {
    const value = await use(lease.state, AbortSignal.any([signal, lease.stopped]));
    return { ran: true, value, lost: lease.lost };
  } finally {
    await lease.end();
  }
}

/**
 * `sfevents collect --once`: each piece of work whose lease is free gets one run, one after the
 * other. Returns whether a run failed (or lost its lease).
 */
export async function runEachLeased<W extends LeasedWork>(
  work: readonly W[],
  leases: WorkLeases,
  logger: Logger,
  signal: AbortSignal,
  run: (work: W, state: StateStore, signal: AbortSignal) => Promise<boolean>,
): Promise<boolean> {
  let failed = false;
  for (const item of work) {
    if (signal.aborted) break;
    const outcome = await withLease(leases, item.leaseKey, logger, signal, (state, stopped) =>
      run(item, state, stopped),
    );
    if (outcome.ran) failed = outcome.value || outcome.lost || failed;
  }
  return failed;
}

/**
 * The renewals of one collector's leases: every third of a lease, one statement renews them all. A
 * collector holding many orgs would otherwise send a transaction per org, most of a fleet's load on
 * PostgreSQL at rest (docs/scaling.md).
 */
class Renewals {
  private readonly held = new Set<HeldLease>();
  private timer: NodeJS.Timeout | undefined;
  private renewing = false;

  constructor(private readonly leases: WorkLeases) {}

  add(lease: HeldLease): void {
    this.held.add(lease);
    this.timer ??= setInterval(() => void this.renew(), this.leases.durationMs / 3);
  }

  remove(lease: HeldLease): void {
    this.held.delete(lease);
    if (this.held.size > 0 || this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.held.size === 0) return;
    this.renewing = true;
    const batch = [...this.held];
    const sent = performance.now();
    try {
      const kept = await this.leases.renew(batch.map((held) => held.lease));
      for (const held of batch) held.renewed(kept.has(held.key), sent);
    } catch (err) {
      for (const held of batch) held.notRenewed(err);
    } finally {
      this.renewing = false;
    }
  }
}

/** One Renewals per collector's leases. */
const renewalsOf = new WeakMap<WorkLeases, Renewals>();

/**
 * One lease this collector holds: renewed with the others every third of its duration, lost when
 * the database says another collector took it, or when no renewal succeeded for a whole lease (cut
 * off from the database: by then another collector may hold it, and the fence refuses this one's
 * writes anyway).
 */
class HeldLease {
  readonly state: StateStore;
  lost = false;
  private readonly stop = new AbortController();
  private readonly drain = new AbortController();
  private readonly renewals: Renewals;
  /** When the last successful renewal was sent (or the lease taken): the lease runs from then at least. */
  private renewedAt = performance.now();
  private ended = false;
  private warned = false;
  readonly lease: Lease;

  constructor(
    private readonly leases: WorkLeases,
    { lease, expiredHolder }: AcquiredLease,
    private readonly logger: Logger,
  ) {
    this.lease = lease;
    // Lost first, so that the run stops; the refusal is said here, once, whatever the run was doing.
    this.state = leases.fenced(lease, (err) => {
      this.lose();
      logger.warn({ lease: lease.key, token: lease.token }, err.message);
    });
    logger.info(
      {
        lease: lease.key,
        holder: lease.holder,
        token: lease.token,
        ...(expiredHolder === undefined ? {} : { previousHolder: expiredHolder }),
      },
      expiredHolder === undefined
        ? `took the lease of ${lease.key}`
        : `took over ${lease.key} (lease expired, held by ${expiredHolder})`,
    );
    const renewals = renewalsOf.get(leases) ?? new Renewals(leases);
    renewalsOf.set(leases, renewals);
    this.renewals = renewals;
    renewals.add(this);
  }

  get key(): string {
    return this.lease.key;
  }

  /** Aborted when the lease is lost or given back: its run stops. */
  get stopped(): AbortSignal {
    return this.stop.signal;
  }

  /** Aborted when the lease is given back: its run stops after the cycle under way. */
  get draining(): AbortSignal {
    return this.drain.signal;
  }

  giveBack(): void {
    this.drain.abort(new Error(`the lease of ${this.lease.key} is given back`));
  }

  /** Once the run stopped: no more renewals, and the lease released unless it was lost. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.renewals.remove(this);
    if (this.lost) return;
    await this.leases
      .release(this.lease)
      .catch((err) =>
        this.logger.warn(
          { lease: this.lease.key, err: describeError(err) },
          `could not release the lease of ${this.lease.key}; another collector takes it once it expires: ${describeError(err)}`,
        ),
      );
  }

  /** A renewal sent at `sent` was answered: the lease is still this collector's, or it is not. */
  renewed(kept: boolean, sent: number): void {
    if (this.lost || this.ended) return;
    if (!kept) {
      this.lose();
      return;
    }
    this.renewedAt = sent;
    this.warned = false;
  }

  /** A renewal failed (the database unreachable): lost once no renewal succeeded for a whole lease. */
  notRenewed(err: unknown): void {
    if (this.lost || this.ended) return;
    if (performance.now() - this.renewedAt >= this.leases.durationMs) {
      this.lose();
      return;
    }
    if (this.warned) return;
    this.warned = true;
    this.logger.warn(
      { lease: this.lease.key, err: describeError(err) },
      `could not renew the lease of ${this.lease.key}, trying again: ${describeError(err)}`,
    );
  }

  private lose(): void {
    if (this.lost || this.ended) return;
    this.lost = true;
    this.renewals.remove(this);
    this.logger.warn(
      { lease: this.lease.key, token: this.lease.token },
      `lost the lease of ${this.lease.key}: stopping it (another collector holds it)`,
    );
    this.stop.abort(new Error(`the lease of ${this.lease.key} was lost`));
  }
}
