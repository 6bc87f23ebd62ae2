import type pg from "pg";

/** The types of postgres-server.mjs, for the tests. */
export interface TestPostgres {
  port: number;
  /** The postmaster's process id. */
  pid(): number;
  /** A URL on the server for the given database and user (the superuser `postgres` by default). */
  url(database: string, user?: string, password?: string): string;
  /** Creates a new, empty database and returns its name. */
  createDatabase(prefix?: string): Promise<string>;
  /** Runs SQL as the superuser, on the given database. */
  sql(database: string, text: string): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

export function postgresBinaries(): string | undefined;
export function postgresUnavailable(): string | undefined;
export function startPostgres(options?: { settings?: Record<string, string> }): Promise<TestPostgres>;
