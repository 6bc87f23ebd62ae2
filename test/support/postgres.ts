import { afterAll, beforeAll } from "vitest";
import { postgresUnavailable, startPostgres, type TestPostgres } from "./postgres-server.mjs";

/**
 * A real PostgreSQL server for tests (postgres-server.mjs, which the benchmark shares), started and
 * stopped around a describe.
 */
export {
  postgresBinaries,
  postgresUnavailable,
  startPostgres,
  type TestPostgres,
} from "./postgres-server.mjs";

/** Says once, in the test output, that the PostgreSQL tests were skipped and why. */
export function sayPostgresSkipped(what: string): void {
  const why = postgresUnavailable();
  if (why !== undefined) console.log(`skipped: ${what}: ${why}`);
}

/**
 * A real PostgreSQL for the tests of the describe it is called in: started before them, stopped
 * after. Returns the server once started.
 */
export function postgresForSuite(): () => TestPostgres {
  let server: TestPostgres | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (server === undefined) throw new Error("the test PostgreSQL has not started");
    return server;
  };
}
