import { generateKeyPairSync } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/simulator/server/index.js";
import { FakeIntake } from "../support/intake.js";
import { FakeOrg } from "../support/org.js";
import { liveStderr, type Org, waitFor } from "../faults/support.js";
import { type RunResult, runCli, startCli, tempDir, writeConfig } from "./harness.js";

/**
 * Case 6: secrets never leave the process. Runs of collect (once, and polling at trace level until
 * SIGTERM), with the client-credentials flow and the JWT bearer flow, and check with each credential
 * wrong, all with known secret values; none of them, nor any access token, may appear in stdout,
 * stderr, or any file the runs leave behind (events, dead letters, state). `sfevents demo` runs on
 * the simulator's public default secret, so its "demo-like" counterpart here is the polling run.
 */

const CLIENT_SECRET = "s3cr3t-client-9c41d7e2b8a6";
const WRONG_CLIENT_SECRET = "wr0ng-client-5e7a13f0c2d9";
const INTAKE_KEY = "intake-key-0b6e4f2a97d1";
const WRONG_INTAKE_KEY = "wr0ng-intake-3f8c51e6a0b4";
const { privateKey: PRIVATE_KEY, publicKey: PUBLIC_KEY } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
/** Any 24 characters of the key's base64 body: a leak need not be the whole PEM. */
const KEY_PIECES = PRIVATE_KEY.split("\n")
  .filter((l) => !l.startsWith("-----") && l.length > 0)
  .flatMap((l) => [l.slice(0, 24), l.slice(-24)]);
/** The simulator's access tokens: the org Id, "!", then opaque text. */
const ACCESS_TOKEN = /00D[A-Za-z0-9]{12}![A-Za-z0-9_-]{20,}/;

function everyFile(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? everyFile(path) : [path];
  });
}

/** `also`: secrets of the run that are not among the known values, such as the fake org's tokens. */
function expectNoSecret(where: string, text: string, also: string[] = []): void {
  const secrets = [CLIENT_SECRET, WRONG_CLIENT_SECRET, INTAKE_KEY, WRONG_INTAKE_KEY, ...KEY_PIECES, ...also];
  for (const secret of secrets) {
    expect(text.includes(secret), `${where} contains a secret (${secret.slice(0, 6)}...)`).toBe(false);
  }
  expect(text, `${where} contains an access token`).not.toMatch(ACCESS_TOKEN);
  expect(text, `${where} contains "Bearer"`).not.toMatch(/Bearer [A-Za-z0-9]/);
}

function expectNothingLeaked(run: RunResult, dir: string, also: string[] = []): void {
  expectNoSecret("stdout", run.stdout, also);
  expectNoSecret("stderr", run.stderr, also);
  for (const file of everyFile(dir).filter((f) => !f.endsWith(".pem"))) {
    expectNoSecret(file, readFileSync(file, "latin1"), also);
  }
}

describe("secrets", () => {
  let org: Org;
  let intake: FakeIntake;
  let dir: ReturnType<typeof tempDir>;
  let keyFile: string;

  beforeAll(async () => {
    dir = tempDir("faults-secrets");
    const publicKeyFile = join(dir.path, "sfevents.pub.pem");
    keyFile = join(dir.path, "sfevents.key.pem");
    writeFileSync(publicKeyFile, PUBLIC_KEY);
    writeFileSync(keyFile, PRIVATE_KEY);
    org = await startSimulator({
      seed: 9,
      days: 1,
      start: "2026-11-20T15:00:00Z",
      clock: { running: false },
      org: { event_types: ["Login"] },
      oauth: {
        client_secret: CLIENT_SECRET,
        username: "integration@acme.example.com",
        jwt: { public_key_file: publicKeyFile },
      },
    });
    intake = await FakeIntake.start({ intakeKey: INTAKE_KEY });
  });
  afterAll(async () => {
    await intake?.close();
    await org?.close();
    dir?.remove();
  });

  type Credentials = { secret: string } | { jwt: true; audience?: string };
  function config(name: string, credentials: Credentials, level = "info"): string {
    const folder = join(dir.path, name);
    const salesforce =
      "secret" in credentials
        ? { url: org.url, client_id: org.clientId, client_secret: "${SF_SECRET}" }
        : {
            url: org.url,
            client_id: org.clientId,
            jwt: {
              username: "integration@acme.example.com",
              private_key_file: keyFile,
              audience: credentials.audience ?? org.url,
            },
          };
    return writeConfig(dir.path, {
      salesforce,
      event_log_files: { start: "2000-01-01T00:00:00Z", poll_every: "1s" },
      outputs: {
        sekoia: { url: intake.url, intake_key: "${INTAKE_KEY}" },
        file: { path: join(folder, "events.ndjson") },
      },
      state: { path: join(folder, "state.sqlite") },
      dead_letters: { path: join(folder, "dead-letters.ndjson") },
      log: { level },
    });
  }
  const env = (secret: string, intakeKey: string) => ({ SF_SECRET: secret, INTAKE_KEY: intakeKey });

  it("collect --once, client credentials and JWT bearer", async () => {
    const secretRun = await runCli(
      ["collect", "--once", "--config", config("cc", { secret: CLIENT_SECRET })],
      env(CLIENT_SECRET, INTAKE_KEY),
    );
    expect(secretRun.code, secretRun.stderr.slice(-1000)).toBe(0);
    expectNothingLeaked(secretRun, dir.path);

    const jwtRun = await runCli(
      ["collect", "--once", "--config", config("jwt", { jwt: true })],
      env("", INTAKE_KEY),
    );
    expect(jwtRun.code, jwtRun.stderr.slice(-1000)).toBe(0);
    expectNothingLeaked(jwtRun, dir.path);
  });

  it("collect polling at trace level, stopped by SIGTERM", async () => {
    const { child, done } = startCli(
      ["collect", "--config", config("trace", { secret: CLIENT_SECRET }, "trace")],
      env(CLIENT_SECRET, INTAKE_KEY),
    );
    const stderr = liveStderr(child);
    await waitFor(() => (stderr().match(/cycle done/g) ?? []).length >= 2, 30_000, "two cycles");
    child.kill("SIGTERM");
    const run = await done;
    expectNothingLeaked(run, dir.path);
  });

  it("collect and check with each credential wrong", async () => {
    const runs = [
      ["collect", "--once", "--config", config("wrong-secret", { secret: WRONG_CLIENT_SECRET })],
      ["collect", "--once", "--config", config("wrong-key", { secret: CLIENT_SECRET })],
      ["check", "--config", config("check-wrong-secret", { secret: WRONG_CLIENT_SECRET })],
      ["check", "--config", config("check-wrong-jwt", { jwt: true, audience: "https://wrong.example.com" })],
      ["check", "--config", config("check-ok", { secret: CLIENT_SECRET })],
    ];
    const secrets = [
      [WRONG_CLIENT_SECRET, INTAKE_KEY],
      [CLIENT_SECRET, WRONG_INTAKE_KEY],
      [WRONG_CLIENT_SECRET, WRONG_INTAKE_KEY],
      ["", WRONG_INTAKE_KEY],
      [CLIENT_SECRET, INTAKE_KEY],
    ];
    for (const [i, args] of runs.entries()) {
      const run = await runCli(args, env(secrets[i][0], secrets[i][1]));
      expect(run.code, `${args.join(" ")}: ${run.stdout}${run.stderr}`.slice(-1500)).toBe(i === 4 ? 0 : 1);
      expectNothingLeaked(run, dir.path);
    }
  });

  it("a run with dead letters (bad rows from the fake org)", async () => {
    const fake = await FakeOrg.start({
      logFiles: [
        {
          id: "0ATfake0000000009",
          eventType: "URI",
          fieldNames: "EVENT_TYPE,URI",
          body: '"EVENT_TYPE","URI"\n"URI","/ok"\n"URI"\n',
        },
      ],
    });
    try {
      const folder = join(dir.path, "dead-letters");
      const path = writeConfig(dir.path, {
        salesforce: { url: fake.url, client_id: fake.clientId, client_secret: "${SF_SECRET}" },
        event_log_files: { start: "2026-11-01T00:00:00Z" },
        outputs: { sekoia: { url: intake.url, intake_key: "${INTAKE_KEY}" } },
        state: { path: join(folder, "state.sqlite") },
        dead_letters: { path: join(folder, "dead-letters.ndjson") },
      });
      const run = await runCli(["collect", "--once", "--config", path], env(fake.clientSecret, INTAKE_KEY));
      expect(run.code, run.stderr.slice(-1000)).toBe(0);
      expect(readFileSync(join(folder, "dead-letters.ndjson"), "utf8")).toContain("0ATfake0000000009");
      // The fake org's secret and tokens are not the simulator's: they are looked for by value.
      expect(fake.tokens).not.toEqual([]);
      expectNothingLeaked(run, dir.path, [fake.clientSecret, ...fake.tokens]);
      expect(run.stderr).not.toContain(fake.clientSecret);
    } finally {
      await fake.close();
    }
  });
});
