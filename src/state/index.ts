export type { DeliveredUnit, FingerprintUnit, RowFingerprints, SourceSummary, StateStore } from "./store.js";
export { StateError } from "./store.js";
export { openSqliteState, type SqliteStateOptions } from "./sqlite/sqlite-store.js";
export { inspectSqliteState, type StateFileInspection } from "./sqlite/inspect.js";
export { summarizeSqliteState, type StateFileSummary } from "./sqlite/summary.js";
export { passwordOf } from "./postgres/url.js";
export {
  type AcquiredLease,
  isLeasable,
  type LeasableStore,
  type Lease,
  LeaseLostError,
  type WorkLeases,
} from "./leases.js";
export {
  inspectState,
  openState,
  type StateLocation,
  type StateSummary,
  stateName,
  summarizeState,
} from "./open.js";
export { orgState } from "./org-state.js";
