import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { PubSubService } from "../../src/salesforce/pubsub/proto.js";
import { requestToken } from "../simulator/server/helpers.js";

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

  it("refuses a bad scenario, naming the key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sfevents-simulate-"));
    dirs.push(dir);
    const scenario = join(dir, "scenario.yaml");
    writeFileSync(scenario, "org:\n  retention_days: many\n  colour: blue\n");
    const child = spawn(process.execPath, [CLI, "simulate", "--scenario", scenario], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(1);
    expect(stderr).toContain("org.retention_days");
    expect(stderr).toContain("'colour'");
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
