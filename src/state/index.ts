export type { DeliveredUnit, FingerprintUnit, RowFingerprints, SourceSummary, StateStore } from "./store.js";
export { StateError } from "./store.js";
export { openSqliteState, type SqliteStateOptions } from "./sqlite/sqlite-store.js";
export { inspectSqliteState, type StateFileInspection } from "./sqlite/inspect.js";
export { summarizeSqliteState, type StateFileSummary } from "./sqlite/summary.js";
export { openPostgresState, type PostgresStateOptions } from "./postgres/postgres-store.js";
