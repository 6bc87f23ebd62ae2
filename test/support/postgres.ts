import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";

/**
 * A real PostgreSQL server for tests: initdb into a temporary folder, the server on a free port of
 * 127.0.0.1 (its socket in that folder too), trust authentication (nothing listens beyond this
 * host), stopped and removed by stop(). initdb and the server refuse to run as root: as root they
 * run as `nobody`, owner of the folder, through runuser.
 */
export interface TestPostgres {
  port: number;
  /** A URL on the server for the given database and user (the superuser `postgres` by default). */
  url(database: string, user?: string, password?: string): string;
  /** Creates a new, empty database and returns its name. */
  createDatabase(prefix?: string): Promise<string>;
  /** Runs SQL as the superuser, on the given database. */
  sql(database: string, text: string): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

const BINARIES = ["initdb", "pg_ctl"];

/** Where initdb and pg_ctl are: on PATH, or Debian's /usr/lib/postgresql/<version>/bin. */
export function postgresBinaries(): string | undefined {
  const onPath = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  const debian = existsSync("/usr/lib/postgresql")
    ? readdirSync("/usr/lib/postgresql")
        .sort((a, b) => Number(b) - Number(a))
        .map((version) => `/usr/lib/postgresql/${version}/bin`)
    : [];
  // Debian puts wrappers on PATH only for some binaries: prefer its folder, which has them all.
  return [...debian, ...onPath].find((dir) => BINARIES.every((name) => existsSync(join(dir, name))));
}

/** Why the PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresUnavailable(): string | undefined {
  if (postgresBinaries() === undefined)
    return "PostgreSQL's initdb and pg_ctl are neither on PATH nor under /usr/lib/postgresql/*/bin (install Debian's postgresql package)";
  if (process.getuid?.() === 0 && !existsSync("/usr/sbin/runuser") && !existsSync("/sbin/runuser"))
    return "running as root without runuser, and PostgreSQL refuses to run as root";
  return undefined;
}

/** Says once, in the test output, that the PostgreSQL tests were skipped and why. */
export function sayPostgresSkipped(what: string): void {
  const why = postgresUnavailable();
  if (why !== undefined) console.log(`skipped: ${what}: ${why}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinaries();
  if (bin === undefined) throw new Error(postgresUnavailable());
  const dir = mkdtempSync(join(tmpdir(), "sfevents-pg-"));
  const asRoot = process.getuid?.() === 0;
  const run = (binary: string, args: string[]) => {
    const command = asRoot
      ? ["runuser", "-u", "nobody", "--", join(bin, binary), ...args]
      : [join(bin, binary), ...args];
    execFileSync(command[0], command.slice(1), { stdio: "pipe", cwd: dir });
  };
  if (asRoot) chownSync(dir, Number(execFileSync("id", ["-u", "nobody"]).toString().trim()), -1);
  const data = join(dir, "data");
  const port = await freePort();
  const stop = async () => {
    try {
      run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
    } catch {
      // Never started, or already gone: the folder goes anyway.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
    run("pg_ctl", [
      "-D",
      data,
      "-l",
      join(dir, "server.log"),
      "-w",
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off`,
      "start",
    ]);
  } catch (err) {
    await stop();
    const output = (err as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`PostgreSQL for the tests did not start: ${(err as Error).message}\n${output}`);
  }
  const url = (database: string, user = "postgres", password?: string) =>
    `postgres://${user}${password === undefined ? "" : `:${encodeURIComponent(password)}`}@127.0.0.1:${port}/${database}`;
  const sql = async (database: string, text: string) => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return await client.query(text);
    } finally {
      await client.end();
    }
  };
  let databases = 0;
  return {
    port,
    url,
    sql,
    async createDatabase(prefix = "sfevents") {
      const name = `${prefix}_${++databases}`;
      await sql("postgres", `CREATE DATABASE ${name}`);
      return name;
    },
    stop,
  };
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
