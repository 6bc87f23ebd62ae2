import { resolve } from "node:path";
import { Command } from "commander";
import { integer } from "./options.js";
import { ConfigError } from "../config/load.js";
import { DEFAULT_CREDENTIALS, loadScenario, type ScenarioInput } from "../simulator/scenario.js";
import { startSimulator } from "../simulator/server/index.js";
import { closeTenants, startTenants, writeOrgsDir } from "../simulator/tenants.js";

interface SimulateOptions {
  port?: number;
  pubsubPort?: number;
  seed?: number;
  days?: number;
  hourly?: boolean;
  clientId?: string;
  clientSecret?: string;
  tokenTtl?: string;
  scenario?: string;
  orgs?: number;
  writeOrgsDir?: string;
}

export function command(): Command {
  return new Command()
    .description(
      "Run a local Salesforce org that serves Event Log Files over the REST API. The first line on " +
        "standard output is its URL (with --orgs, one `NAME URL` line per org); it serves until stopped (Ctrl-C).",
    )
    .option("--port <port>", "port on 127.0.0.1 (0 = any free port)", integer("--port"))
    .option(
      "--pubsub-port <port>",
      "port of the Pub/Sub API (gRPC, plaintext) on 127.0.0.1 (0 = any free port)",
      integer("--pubsub-port"),
    )
    .option("--seed <n>", "seed of the org's data: the same seed gives the same files", integer("--seed"))
    .option("--days <n>", "days of history before now (default 7)", integer("--days"))
    .option("--no-hourly", "an org whose Event Monitoring has only daily files (Interval does not exist)")
    .option("--client-id <id>", "the connected app's consumer key")
    .option("--client-secret <secret>", "the connected app's consumer secret")
    .option(
      "--token-ttl <duration>",
      'how long an access token lives, e.g. "2h", "15m" or seconds (default 2h)',
    )
    .option("--scenario <file>", "a YAML or JSON scenario: org settings, limits, faults (docs/simulator.md)")
    .option(
      "--orgs <n>",
      "n orgs in this process (org-01, org-02, ...), each on its own ports with its own data and credentials",
      integer("--orgs", 1),
    )
    .option(
      "--write-orgs-dir <dir>",
      "with --orgs, write a collector's orgs_dir there: one org file per org, its secret read from the environment",
    )
    .action(async (options: SimulateOptions) => {
      if (options.writeOrgsDir !== undefined && options.orgs === undefined)
        throw new ConfigError("--write-orgs-dir needs --orgs: it writes one file per org of --orgs");
      if (options.orgs !== undefined && options.clientSecret !== undefined)
        throw new ConfigError(
          "--client-secret cannot be given with --orgs: each org gets a secret of its own, made at start and printed",
        );
      const scenario = scenarioFrom(options);
      if (options.orgs === undefined) await simulate(scenario);
      else await simulateOrgs(scenario, options.orgs, options.writeOrgsDir);
    });
}

/** The scenario file, with the command line's options on top. */
function scenarioFrom(options: SimulateOptions): ScenarioInput {
  const scenario: ScenarioInput = options.scenario === undefined ? {} : loadScenario(options.scenario);
  const org = { ...scenario.org };
  const oauth = { ...scenario.oauth };
  const pubsub = { ...scenario.pubsub };
  if (options.port !== undefined) scenario.port = options.port;
  if (options.pubsubPort !== undefined) pubsub.port = options.pubsubPort;
  if (options.seed !== undefined) scenario.seed = options.seed;
  if (options.days !== undefined) scenario.days = options.days;
  // commander sets hourly=true unless --no-hourly is given: only the flag itself overrides the file.
  if (options.hourly === false) org.hourly = false;
  if (options.clientId !== undefined) oauth.client_id = options.clientId;
  if (options.clientSecret !== undefined) oauth.client_secret = options.clientSecret;
  if (options.tokenTtl !== undefined) {
    oauth.token_ttl = /^\d+$/.test(options.tokenTtl) ? Number(options.tokenTtl) : options.tokenTtl;
  }
  return { ...scenario, org, oauth, pubsub };
}

const out = (line: string) => process.stdout.write(`${line}\n`);

/** A port taken by another program is the user's to fix; say so rather than print a stack. */
function portInUse(input: ScenarioInput) {
  return (err: unknown): never => {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new ConfigError(
        `port ${input.port} (or one after it, with --orgs) is already in use; pick another with --port, or --port 0 for any free one`,
      );
    }
    throw err;
  };
}

async function simulate(input: ScenarioInput): Promise<void> {
  const simulator = await startSimulator(input).catch(portInUse(input));
  // The URL comes first and alone: scripts and tests read that one line.
  out(simulator.url);
  out(`client_id: ${simulator.clientId}`);
  // The built-in secret is public (it is in the docs); a secret the user chose is never echoed.
  if (simulator.clientSecret === DEFAULT_CREDENTIALS.clientSecret)
    out(`client_secret: ${simulator.clientSecret}`);
  out(`username: ${simulator.username}`);
  out(`pubsub: ${simulator.pubsub.endpoint} (gRPC, plaintext)`);
  out(
    `simulated time: ${simulator.clock.now().toISOString()} (move it with POST ${simulator.url}/__sim/clock)`,
  );

  await stopped();
  await simulator.close();
}

/**
 * Several orgs: for each, a line `NAME URL` then its credentials, indented; with an orgs_dir, the
 * folder and the environment its files read. Every secret printed is one made at start for this run.
 */
async function simulateOrgs(input: ScenarioInput, count: number, orgsDir: string | undefined): Promise<void> {
  const tenants = await startTenants(input, count).catch(portInUse(input));
  if (orgsDir !== undefined) {
    try {
      writeOrgsDir(orgsDir, tenants);
    } catch (err) {
      await closeTenants(tenants);
      throw new ConfigError(
        `--write-orgs-dir ${orgsDir}: the org files cannot be written there (${(err as Error).message})`,
      );
    }
  }
  for (const { name, simulator } of tenants) {
    out(`${name} ${simulator.url}`);
    out(`  client_id: ${simulator.clientId}`);
    out(`  client_secret: ${simulator.clientSecret}`);
    out(`  username: ${simulator.username}`);
    out(`  pubsub: ${simulator.pubsub.endpoint} (gRPC, plaintext)`);
  }
  out(
    `simulated time: ${tenants[0].simulator.clock.now().toISOString()} (each org has its own clock: POST <url>/__sim/clock)`,
  );
  if (orgsDir !== undefined) {
    out(
      `orgs_dir: ${resolve(orgsDir)} (${tenants.length} org files, whose secrets come from these variables:)`,
    );
    for (const { secretVariable, simulator } of tenants) out(`${secretVariable}=${simulator.clientSecret}`);
  }
  await stopped();
  await closeTenants(tenants);
}

/** Until SIGINT or SIGTERM. */
function stopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
