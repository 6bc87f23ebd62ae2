export type {
  Cursor,
  DeliveredFile,
  FingerprintScope,
  LogInterval,
  RowFingerprints,
  StateStore,
} from "./store.js";
export { StateError, scopeKey } from "./store.js";
export { openSqliteState, type SqliteStateOptions } from "./sqlite/sqlite-store.js";
