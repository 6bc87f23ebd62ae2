/**
 * The simulator's SOQL engine: parse a statement, prepare it against an object's schema, run it over
 * that object's records. No HTTP here; the simulator's query route wraps it.
 */
export type { SoqlQuery } from "./ast.js";
export { SoqlError, type SoqlErrorCode } from "./errors.js";
export { parseSoql } from "./parser.js";
export { type PreparedQuery, prepareQuery } from "./prepare.js";
export type { SObjectSchema, SoqlField, SoqlFieldType, SoqlRecord } from "./schema.js";
