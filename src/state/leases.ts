import type { StateStore } from "./store.js";
import { StateError } from "./store.js";

/**
 * Leases divide work (a source of an org) between collectors sharing one database: a collector runs
 * only the work it holds a lease on, renews it while it runs, and commits through a fenced view of
 * the state that refuses every write once the lease is no longer its own.
 */

/** A lease held on one work key. */
export interface Lease {
  /** The work, e.g. `objects:LoginEvent`: known before its source opens. */
  readonly key: string;
  /** Who holds it: `host/pid/random`, one per collector process. */
  readonly holder: string;
  /** Grows on every acquisition: a commit made with an older one is refused. */
  readonly token: number;
}

/** A lease just taken, and who held it before when it was taken over from a collector that stopped renewing it. */
export interface AcquiredLease {
  lease: Lease;
  /** The collector whose lease had expired (it was not released): a takeover. */
  expiredHolder?: string;
}

/** The leases of one collector on a shared database. */
export interface WorkLeases {
  readonly holder: string;
  /** How long a lease lasts without being renewed. */
  readonly durationMs: number;
  /**
   * Says this collector is alive (until about durationMs from now) and returns how many collectors
   * are, this one included: what the work is divided by.
   */
  alive(): Promise<number>;
  /** Takes the key's lease when it is free, released or expired; undefined when another collector holds it. */
  acquire(key: string): Promise<AcquiredLease | undefined>;
  /** Renews the given leases; returns the keys still held (a lease taken over is not renewed). */
  renew(leases: readonly Lease[]): Promise<Set<string>>;
  /** Gives a lease back, for another collector to take at once. */
  release(lease: Lease): Promise<void>;
  /** Says this collector is leaving: the others divide the work among themselves. */
  leave(): Promise<void>;
  /**
   * The state as seen through a lease: its writes (markDelivered, setCheckpoint, prune, rewind)
   * check, in their own transaction, that the lease is still held with its token and unexpired by
   * the database's clock, and fail with a LeaseLostError otherwise, writing nothing. `lost` is
   * told when that happens.
   */
  fenced(lease: Lease, lost: (err: LeaseLostError) => void): StateStore;
}

/**
 * A write refused because the lease of its work is no longer this collector's (it expired while the
 * process was paused or cut off, and another collector may have taken it). Nothing of the write is
 * recorded; the new holder delivers the unit again.
 */
export class LeaseLostError extends StateError {
  constructor(readonly lease: Lease) {
    super(
      `The lease of ${lease.key} is no longer held by this collector (${lease.holder}, token ${lease.token}): it expired and another collector may hold it, so nothing was recorded; its holder delivers what this one had in flight.`,
    );
  }
}

/** A store several collectors can share (PostgreSQL): it divides their work with leases. */
export interface LeasableStore extends StateStore {
  /** The leases of the collector `holder`, each lasting `durationMs` unless renewed. */
  workLeases(holder: string, durationMs: number): WorkLeases;
}

export function isLeasable(store: StateStore): store is LeasableStore {
  return typeof (store as Partial<LeasableStore>).workLeases === "function";
}
