import { Command, InvalidArgumentError } from "commander";
import { ConfigError } from "../config/load.js";
import { DEFAULT_CREDENTIALS, loadScenario, type ScenarioInput } from "../simulator/scenario.js";
import { startSimulator } from "../simulator/server/index.js";

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
}

function integer(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value))
      throw new InvalidArgumentError(`${name} must be a whole number, got '${value}'.`);
    return Number(value);
  };
}

export function command(): Command {
  return new Command()
    .description(
      "Run a local Salesforce org that serves Event Log Files over the REST API. The first line on " +
        "standard output is its URL; it serves until stopped (Ctrl-C).",
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
    .action(async (options: SimulateOptions) => {
      await simulate(scenarioFrom(options));
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

async function simulate(input: ScenarioInput): Promise<void> {
  const simulator = await startSimulator(input).catch((err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      throw new ConfigError(
        `port ${input.port} is already in use; pick another with --port, or --port 0 for any free one`,
      );
    }
    throw err;
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
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

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await simulator.close();
}
