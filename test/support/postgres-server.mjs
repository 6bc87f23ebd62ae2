import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import pg from "pg";

/**
 * A real, throwaway PostgreSQL server, for the tests (through postgres.ts) and the benchmark's fleet
 * scenario: plain JavaScript so that both can import it (postgres-server.d.mts gives the tests its
 * types). initdb into a temporary folder, the server on a free port of 127.0.0.1 (its socket in that
 * folder too), trust authentication (nothing listens beyond this host), stopped and removed by
 * stop(). initdb and the server refuse to run as root: as root they run as `nobody`, owner of the
 * folder, through runuser.
 */

const BINARIES = ["initdb", "pg_ctl"];

/** Where initdb and pg_ctl are: on PATH, or Debian's /usr/lib/postgresql/<version>/bin. */
export function postgresBinaries() {
  const onPath = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  const debian = existsSync("/usr/lib/postgresql")
    ? readdirSync("/usr/lib/postgresql")
        .sort((a, b) => Number(b) - Number(a))
        .map((version) => `/usr/lib/postgresql/${version}/bin`)
    : [];
  // Debian puts wrappers on PATH only for some binaries: prefer its folder, which has them all.
  return [...debian, ...onPath].find((dir) => BINARIES.every((name) => existsSync(join(dir, name))));
}

/** Why a PostgreSQL server cannot be started here, or undefined when it can. */
export function postgresUnavailable() {
  if (postgresBinaries() === undefined)
    return "PostgreSQL's initdb and pg_ctl are neither on PATH nor under /usr/lib/postgresql/*/bin (install Debian's postgresql package)";
  if (process.getuid?.() === 0 && !existsSync("/usr/sbin/runuser") && !existsSync("/sbin/runuser"))
    return "running as root without runuser, and PostgreSQL refuses to run as root";
  return undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `settings`: more server settings (`-c name=value`), e.g. { shared_preload_libraries: "pg_stat_statements" }. */
export async function startPostgres({ settings = {} } = {}) {
  const bin = postgresBinaries();
  if (bin === undefined) throw new Error(postgresUnavailable());
  const dir = mkdtempSync(join(tmpdir(), "sfevents-pg-"));
  const asRoot = process.getuid?.() === 0;
  const run = (binary, args) => {
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
  const extra = Object.entries(settings).map(([name, value]) => ` -c ${name}=${value}`);
  try {
    run("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
    run("pg_ctl", [
      "-D",
      data,
      "-l",
      join(dir, "server.log"),
      "-w",
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off${extra.join("")}`,
      "start",
    ]);
  } catch (err) {
    await stop();
    const output = err.stderr?.toString() ?? "";
    throw new Error(`PostgreSQL did not start: ${err.message}\n${output}`);
  }
  const url = (database, user = "postgres", password) =>
    `postgres://${user}${password === undefined ? "" : `:${encodeURIComponent(password)}`}@127.0.0.1:${port}/${database}`;
  const sql = async (database, text) => {
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
    /** The postmaster's process id: its children are the server's backends. */
    pid: () => Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]),
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
