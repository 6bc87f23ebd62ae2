import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { PubSubService } from "../../src/salesforce/pubsub/proto.js";
import { parseCollection, readOrgFile } from "../../src/app/orgs.js";
import { requestToken, tokenFor } from "../simulator/server/helpers.js";
import { runCli } from "../integration/harness.js";

/** A port free right now (the OS picks it, then lets it go). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The built CLI, as a user runs it (npm test builds it first). */
const CLI = new URL("../../dist/cli/main.js", import.meta.url).pathname;

interface Running {
  child: ChildProcess;
  url: string;
  lines: string[];
  exit: Promise<number | null>;
}

function startCli(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [CLI, "simulate", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const lines: string[] = [];
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on("line", (line) => {
      lines.push(line);
      if (lines.length === 1) resolve({ child, url: line, lines, exit });
    });
    exit.then((code) => reject(new Error(`simulate exited with ${code} before printing its URL: ${stderr}`)));
  });
}

function scenarioFile(dir: string, text: string): string {
  const path = join(dir, "scenario.yaml");
  writeFileSync(path, text);
  return path;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 20));
}

describe("sfevents simulate", () => {
  let running: Running | undefined;
  const dirs: string[] = [];

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  });
  afterEach(async () => {
    if (running !== undefined && running.child.exitCode === null) {
      running.child.kill("SIGKILL");
      await running.exit;
    }
    running = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("serves the Pub/Sub API on --pubsub-port and prints its endpoint", async () => {
    const port = await freePort();
    running = await startCli(["--port", "0", "--pubsub-port", String(port), "--days", "1"]);
    const current = running;
    await new Promise<void>((resolve) => {
      const check = () =>
        current.lines.some((l) => l.startsWith("pubsub:")) ? resolve() : setTimeout(check, 20);
      check();
    });
    expect(current.lines).toContain(`pubsub: 127.0.0.1:${port} (gRPC, plaintext)`);
    const stub = new PubSubService(`127.0.0.1:${port}`, credentials.createInsecure());
    const answer = await new Promise<ServiceError | null>((resolve) =>
      (
        stub as unknown as {
          GetTopic: (r: object, m: Metadata, cb: (e: ServiceError | null) => void) => void;
        }
      ).GetTopic({ topic_name: "/event/LoginEventStream" }, new Metadata(), (err) => resolve(err)),
    );
    stub.close();
    // No token: the server is there and answers as Salesforce does.
    expect(answer?.code).toBe(status.UNAUTHENTICATED);
  });

  it("prints its URL first, serves the API with the default app, and stops cleanly on SIGTERM", async () => {
    running = await startCli(["--port", "0", "--seed", "5", "--days", "1"]);
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const versions = await fetch(`${running.url}/services/data/`);
    expect(versions.status).toBe(200);
    const printed = Object.fromEntries(
      running.lines.slice(1).map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 2)]),
    );
    const res = await requestToken({
      url: running.url,
      clientId: printed.client_id,
      clientSecret: printed.client_secret,
    });
    expect(res.status).toBe(200);
    running.child.kill("SIGTERM");
    expect(await running.exit).toBe(0);
  });

  it("applies its options: credentials, no hourly files", async () => {
    running = await startCli([
      "--port",
      "0",
      "--days",
      "1",
      "--no-hourly",
      "--client-id",
      "app",
      "--client-secret",
      "s3cret-value",
    ]);
    // A secret the user chose is never printed.
    expect(running.lines.join("\n")).not.toContain("s3cret-value");
    const res = await requestToken({ url: running.url, clientId: "app", clientSecret: "s3cret-value" });
    const { access_token } = (await res.json()) as { access_token: string };
    const q = encodeURIComponent("SELECT Id, Interval FROM EventLogFile");
    const answer = await fetch(`${running.url}/services/data/v64.0/query?q=${q}`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { errorCode: string }[])[0].errorCode).toBe("INVALID_FIELD");
    running.child.kill("SIGINT");
    expect(await running.exit).toBe(0);
  });

  it("reads a scenario file, with command-line options on top", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sfevents-simulate-"));
    dirs.push(dir);
    const scenario = join(dir, "scenario.yaml");
    writeFileSync(
      scenario,
      [
        "port: 1",
        "seed: 9",
        "days: 1",
        "start: 2026-11-20T15:00:00Z",
        "clock: { running: false }",
        "api: { daily_limit: 42 }",
      ].join("\n"),
    );
    // port: 1 in the file would fail to bind: --port 0 must win.
    running = await startCli(["--scenario", scenario, "--port", "0"]);
    const clock = (await (await fetch(`${running.url}/__sim/clock`)).json()) as { time: string };
    expect(clock.time).toBe("2026-11-20T15:00:00.000Z");
    const stats = (await (await fetch(`${running.url}/__sim/stats`)).json()) as { apiUsage: { max: number } };
    expect(stats.apiUsage.max).toBe(42);
  });

  it("serves --orgs tenants, each with its own credentials, tokens and data, and writes their orgs_dir", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sfevents-simulate-"));
    dirs.push(dir);
    const orgsDir = join(dir, "orgs.d");
    running = await startCli([
      "--orgs",
      "2",
      "--days",
      "1",
      "--seed",
      "4",
      "--scenario",
      scenarioFile(dir, "start: 2026-11-20T15:00:00Z\nclock: { running: false }\n"),
      "--write-orgs-dir",
      orgsDir,
    ]);
    const current = running;
    await until(() => current.lines.some((l) => l.startsWith("SFEVENTS_SIM_ORG_02_CLIENT_SECRET=")));
    // `NAME URL`, then that tenant's credentials, indented.
    const tenants = ["org-01", "org-02"].map((name) => {
      const at = current.lines.findIndex((l) => l.startsWith(`${name} `));
      const field = (key: string) =>
        current.lines
          .slice(at + 1, at + 5)
          .find((l) => l.startsWith(`  ${key}: `))
          ?.slice(key.length + 4) as string;
      return {
        name,
        url: current.lines[at].slice(name.length + 1),
        clientId: field("client_id"),
        clientSecret: field("client_secret"),
      };
    });
    const [a, b] = tenants;
    expect(a.url).not.toBe(b.url);
    expect(a.clientId).not.toBe(b.clientId);
    expect(a.clientSecret).not.toBe(b.clientSecret);

    // Each answers its own credentials, and refuses the other's app and the other's token.
    const tokenA = await tokenFor(a);
    const tokenB = await tokenFor(b);
    const refused = await requestToken({ ...a, url: b.url });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toBe("invalid_client_id");
    const ids = async (url: string, token: string) => {
      const q = encodeURIComponent("SELECT Id, LogFileLength FROM EventLogFile ORDER BY CreatedDate");
      const res = await fetch(`${url}/services/data/v64.0/query?q=${q}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: res.status, body: (await res.json()) as { records: { Id: string }[] } };
    };
    expect((await ids(b.url, tokenA)).status).toBe(401);
    const filesA = await ids(a.url, tokenA);
    const filesB = await ids(b.url, tokenB);
    expect(filesA.status).toBe(200);
    expect(filesA.body.records.length).toBeGreaterThan(0);
    // Data of their own: not one file Id in common.
    const inA = new Set(filesA.body.records.map((r) => r.Id));
    expect(filesB.body.records.filter((r) => inA.has(r.Id))).toEqual([]);

    // The orgs_dir reads as a collector reads it, with the environment printed for it.
    const env = Object.fromEntries(
      current.lines
        .filter((l) => l.startsWith("SFEVENTS_SIM_"))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const collection = parseCollection({
      orgs_dir: orgsDir,
      defaults: { outputs: { file: { path: join(dir, "out.ndjson") } } },
    });
    for (const tenant of tenants) {
      const file = readOrgFile(collection, orgsDir, `${tenant.name}.yaml`, env);
      expect(file?.problem).toBeUndefined();
      expect(file?.org?.name).toBe(tenant.name);
      expect(file?.org?.config.salesforce).toMatchObject({
        url: tenant.url,
        client_id: tenant.clientId,
        client_secret: tenant.clientSecret,
      });
      // The secret itself stays out of the file.
      expect(file?.text).not.toContain(tenant.clientSecret);
    }
    running.child.kill("SIGTERM");
    expect(await running.exit).toBe(0);
  });

  it("refuses --client-secret with --orgs, and --write-orgs-dir without it", async () => {
    for (const args of [
      ["--orgs", "2", "--client-secret", "s3cret-value"],
      ["--write-orgs-dir", "/nonexistent/orgs.d"],
    ]) {
      const { code, stderr } = await runCli(["simulate", ...args]);
      expect(code).toBe(1);
      expect(stderr).toContain(args[0] === "--orgs" ? "--client-secret" : "--write-orgs-dir needs --orgs");
      expect(stderr).not.toContain("s3cret-value");
    }
  });

  it("refuses a bad scenario, naming the key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sfevents-simulate-"));
    dirs.push(dir);
    const scenario = join(dir, "scenario.yaml");
    writeFileSync(scenario, "org:\n  retention_days: many\n  colour: blue\n");
    const { code, stderr } = await runCli(["simulate", "--scenario", scenario]);
    expect(code).toBe(1);
    expect(stderr).toContain("org.retention_days");
    expect(stderr).toContain("'colour'");
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
