import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { describeError } from "../core/errors.js";
import { abortableSleep as sleep } from "../core/sleep.js";
import type { Logger } from "../observability/logger.js";
import type { AcquiredLease, Lease, StateStore, WorkLeases } from "../state/index.js";
import type { ScheduledSource } from "./sources.js";

/**
 * Collectors sharing a PostgreSQL state divide their sources by leases (state/leases.ts): each runs
 * only the sources it holds, through its lease's fenced view of the state, renews them while they
 * run, takes its share of the others and gives back what is over it.
 */

/**
 * Runs one source, committing through `state`, until `signal` aborts (the lease lost, a shutdown), or
 * until `drain` aborts and the cycle under way ends (the lease given back: nothing in flight is
 * dropped, so nothing is sent twice).
 */
export type LeasedRun = (
  scheduled: ScheduledSource,
  state: StateStore,
  signal: AbortSignal,
  drain: AbortSignal,
) => Promise<void>;

/** This process among the collectors: host, pid and a few random bytes (a pid is reused after a restart). */
export function collectorId(): string {
  return `${hostname()}/${process.pid}/${randomBytes(3).toString("hex")}`;
}

/**
 * Polls the sources this collector holds until `signal` aborts, trying for the others at a third of
 * the lease (with some jitter, so collectors started together take turns): never more than its
 * share, the sources divided by the collectors alive, rounded up. A run that fails with an error
 * that stops collection ends every run, and is thrown once the leases are released.
 */
export async function runLeased(
  sources: readonly ScheduledSource[],
  leases: WorkLeases,
  logger: Logger,
  signal: AbortSignal,
  run: LeasedRun,
): Promise<void> {
  const held = new Map<string, { lease: HeldLease; running: Promise<void>; givingBack?: boolean }>();
  let failure: unknown;
  const start = (scheduled: ScheduledSource, acquired: AcquiredLease) => {
    const lease = new HeldLease(leases, acquired, logger);
    const running = run(scheduled, lease.state, AbortSignal.any([signal, lease.stopped]), lease.draining)
      .catch((err) => {
        failure ??= err;
      })
      .finally(async () => {
        await lease.end();
        held.delete(scheduled.leaseKey);
      });
    held.set(scheduled.leaseKey, { lease, running });
  };
  const share = async () => {
    const alive = await leases.alive();
    const fair = Math.ceil(sources.length / alive);
    const keeping = [...held.values()].filter((h) => !h.givingBack && !h.lease.lost);
    if (keeping.length > fair) {
      // One at a time, so that the collector that joined takes it before the next one goes.
      const last = keeping[keeping.length - 1];
      last.givingBack = true;
      logger.info(
        { lease: last.lease.key, collectors: alive, sources: sources.length },
        `giving the lease of ${last.lease.key} back: ${alive} collectors share ${sources.length} sources`,
      );
      last.lease.giveBack();
      return;
    }
    let holding = keeping.length;
    // From a random place in the list: collectors asking together ask for different sources first.
    const first = Math.floor(Math.random() * sources.length);
    for (let i = 0; i < sources.length && holding < fair && !signal.aborted; i++) {
      const scheduled = sources[(first + i) % sources.length];
      if (held.has(scheduled.leaseKey)) continue;
      const acquired = await leases.acquire(scheduled.leaseKey);
      if (acquired === undefined) continue;
      start(scheduled, acquired);
      holding++;
    }
  };

  const every = leases.durationMs / 3;
  try {
    await leases.alive();
    await sleep(Math.random() * Math.min(every, 1_000), signal);
    while (!signal.aborted) {
      await share().catch((err) =>
        logger.warn(
          { err: describeError(err) },
          `cannot divide the work with the other collectors this time: ${describeError(err)}`,
        ),
      );
      await sleep(every * (0.9 + 0.2 * Math.random()), signal);
    }
  } finally {
    await Promise.allSettled([...held.values()].map((h) => h.running));
    await leases.leave().catch(() => {});
  }
  if (failure !== undefined) throw failure;
}

/**
 * `sfevents collect --once`: each source whose lease is free (or expired) gets one run, one after
 * the other, its lease renewed meanwhile and released after; a source another collector holds is
 * said and skipped. Returns whether a run failed.
 */
export async function runEachLeased(
  sources: readonly ScheduledSource[],
  leases: WorkLeases,
  logger: Logger,
  signal: AbortSignal,
  run: (scheduled: ScheduledSource, state: StateStore, signal: AbortSignal) => Promise<boolean>,
): Promise<boolean> {
  let failed = false;
  for (const scheduled of sources) {
    if (signal.aborted) break;
    const acquired = await leases.acquire(scheduled.leaseKey);
    if (acquired === undefined) {
      logger.info(
        { lease: scheduled.leaseKey },
        `skipped ${scheduled.leaseKey}: another collector holds its lease`,
      );
      continue;
    }
    const lease = new HeldLease(leases, acquired, logger);
    try {
      failed = (await run(scheduled, lease.state, AbortSignal.any([signal, lease.stopped]))) || failed;
    } finally {
      await lease.end();
    }
    failed ||= lease.lost;
  }
  return failed;
}

/**
 * One lease this collector holds: renewed at a third of its duration, lost when the database says
 * another collector took it, or when no renewal succeeded for a whole lease (cut off from the
 * database: by then another collector may hold it, and the fence refuses this one's writes anyway).
 */
class HeldLease {
  readonly state: StateStore;
  lost = false;
  private readonly stop = new AbortController();
  private readonly drain = new AbortController();
  private readonly timer: NodeJS.Timeout;
  /** When the last successful renewal was sent (or the lease taken): the lease runs from then at least. */
  private renewedAt = performance.now();
  private renewing = false;
  private ended = false;
  private warned = false;
  private readonly lease: Lease;

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
    this.timer = setInterval(() => void this.renew(), leases.durationMs / 3);
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
    clearInterval(this.timer);
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

  private async renew(): Promise<void> {
    if (this.renewing || this.lost || this.ended) return;
    this.renewing = true;
    const sent = performance.now();
    try {
      const kept = await this.leases.renew([this.lease]);
      if (kept.has(this.lease.key)) {
        this.renewedAt = sent;
        this.warned = false;
      } else this.lose();
    } catch (err) {
      if (performance.now() - this.renewedAt >= this.leases.durationMs) this.lose();
      else if (!this.warned) {
        this.warned = true;
        this.logger.warn(
          { lease: this.lease.key, err: describeError(err) },
          `could not renew the lease of ${this.lease.key}, trying again: ${describeError(err)}`,
        );
      }
    } finally {
      this.renewing = false;
    }
  }

  private lose(): void {
    if (this.lost || this.ended) return;
    this.lost = true;
    clearInterval(this.timer);
    this.logger.warn(
      { lease: this.lease.key, token: this.lease.token },
      `lost the lease of ${this.lease.key}: stopping it (another collector holds it)`,
    );
    this.stop.abort(new Error(`the lease of ${this.lease.key} was lost`));
  }
}
