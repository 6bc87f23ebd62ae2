import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigError } from "../../config/load.js";
import { EVENT_TYPE_SCHEMAS } from "../../salesforce/event-types.js";
import { SimulatedClock } from "../clock.js";
import { toCaseSafeId } from "../../salesforce/ids.js";
import { GENERATORS } from "../org/generators.js";
import { MonitoringObjects } from "../objects/index.js";
import { type OrgOptions, SimulatedOrg } from "../org/index.js";
import { PubSubSimulator } from "../pubsub/server.js";
import { parseScenario, type Scenario, type ScenarioInput } from "../scenario.js";
import { ApiUsage } from "./api-usage.js";
import type { SimulatorContext } from "./context.js";
import { FaultRegistry } from "./faults.js";
import { handleRequest } from "./handler.js";
import { type AssertionPolicy, publicKeyFrom } from "./jwt-assertion.js";
import { QueryLocators } from "./query-locators.js";
import { type OrgIdentity, Sessions } from "./sessions.js";

export type { ScenarioInput, Scenario } from "../scenario.js";

/** A running simulated org. */
export interface Simulator {
  /** http://127.0.0.1:PORT: the My Domain URL and the token endpoint's host. */
  url: string;
  clientId: string;
  clientSecret: string;
  /** The run-as user's username (the `sub` a JWT assertion must name). */
  username: string;
  scenario: Scenario;
  clock: SimulatedClock;
  org: SimulatedOrg;
  faults: FaultRegistry;
  /** The Pub/Sub API (gRPC, plaintext): `pubsub.endpoint` is "127.0.0.1:PORT", `pubsub.port` its port. */
  pubsub: PubSubSimulator;
  close(): Promise<void>;
}

/** The current hour: a default start that keeps a whole hour of runs on identical data. */
function currentHour(): Date {
  const now = Date.now();
  return new Date(now - (now % 3_600_000));
}

/**
 * Starts a simulated org on 127.0.0.1. Anything not given takes the scenario schema's default; a bad
 * value throws a ConfigError listing every problem.
 */
export async function startSimulator(input: ScenarioInput = {}): Promise<Simulator> {
  const scenario = parseScenario(input);
  const start = scenario.start ?? currentHour();
  const clock = new SimulatedClock(start, scenario.clock.running);
  const now = () => clock.nowMs();
  // By default the org is licensed for everything the simulator can generate.
  const licensed = scenario.org.event_types ?? Object.keys(GENERATORS);
  const org = createOrg({
    seed: scenario.seed,
    start,
    days: scenario.days,
    hourly: scenario.org.hourly,
    retentionDays: scenario.org.retention_days,
    eventTypes: licensed,
    rowsPerHour: scenario.org.rows_per_hour,
    largeFiles: scenario.org.large_files.map((f) => ({
      eventType: f.event_type,
      bytes: f.bytes,
      interval: f.interval,
    })),
    apiVersion: scenario.org.api_version,
  });
  const objects = createObjects(org, scenario);
  const identity = identityOf(org, scenario);
  const faults = new FaultRegistry();
  for (const spec of scenario.faults) faults.add(spec);

  const sessions = new Sessions(identity.orgId15, scenario.oauth.token_ttl, now);
  const latestVersion = Number.parseInt(scenario.org.api_version, 10);
  const pubsub = new PubSubSimulator({ scenario, clock, org, objects, identity, sessions, latestVersion });

  const context: SimulatorContext = {
    scenario,
    clock,
    org,
    objects,
    identity,
    sessions,
    pubsub,
    usage: new ApiUsage(scenario.api.daily_limit, now),
    locators: new QueryLocators(scenario.query.locator_ttl, scenario.query.max_open_locators, now),
    faults,
    requests: {},
    eventTypes: EVENT_TYPE_SCHEMAS.map((s) => s.eventType),
    latestVersion,
    jwtPolicy: undefined,
    url: "",
  };

  const server = createServer((req, res) => {
    handleRequest(context, req, res).catch((err: unknown) => {
      // A bug in the simulator: answer like Salesforce's own UNKNOWN_EXCEPTION and keep serving.
      process.stderr.write(
        `sfevents simulate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "application/json;charset=UTF-8" });
        res.end(
          JSON.stringify([{ message: "An unexpected error occurred.", errorCode: "UNKNOWN_EXCEPTION" }]),
        );
      } else res.destroy();
    });
  });
  await listen(server, scenario.port);
  try {
    await pubsub.listen(scenario.pubsub.port);
  } catch (err) {
    await close(server);
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  context.url = `http://127.0.0.1:${port}`;
  context.jwtPolicy = jwtPolicy(scenario, context.url);

  return {
    url: context.url,
    clientId: scenario.oauth.client_id,
    clientSecret: scenario.oauth.client_secret,
    username: identity.runAsUser.username,
    scenario,
    clock,
    org,
    faults,
    pubsub,
    close: () => {
      pubsub.close();
      return close(server);
    },
  };
}

/** The org refuses options it cannot honour (an event type it cannot generate): a user's mistake. */
function createOrg(options: OrgOptions): SimulatedOrg {
  try {
    return new SimulatedOrg(options);
  } catch (err) {
    throw new ConfigError(`the scenario's org cannot be built: ${(err as Error).message}`);
  }
}

/** The monitoring objects over the org's sessions; a scenario naming an object it lacks is a user's mistake. */
function createObjects(org: SimulatedOrg, scenario: Scenario): MonitoringObjects {
  const o = scenario.objects;
  try {
    return new MonitoringObjects({
      seed: scenario.seed,
      profile: org.profile,
      sessions: org.sessions,
      historyStart: org.historyStart,
      eventMonitoring: o.event_monitoring,
      readable: o.readable,
      rowsPerHour: o.rows_per_hour,
      lateShare: o.late_share,
      lateDelayMs: o.late_delay,
      tieShare: o.tie_share,
      bursts: o.bursts.map((b) => ({ object: b.object, rows: b.rows, at: b.at.getTime(), span: b.span })),
    });
  } catch (err) {
    throw new ConfigError(`the scenario's objects cannot be built: ${(err as Error).message}`);
  }
}

function jwtPolicy(
  scenario: Scenario,
  url: string,
): Omit<AssertionPolicy, "clientId" | "username"> | undefined {
  const jwt = scenario.oauth.jwt;
  if (jwt === undefined) return undefined;
  const pem = jwt.public_key ?? readFileSync(jwt.public_key_file as string, "utf8");
  return { publicKey: publicKeyFrom(pem), audiences: [...jwt.audiences, url], wallNow: Date.now };
}

function identityOf(org: SimulatedOrg, scenario: Scenario): OrgIdentity {
  const profile = org.profile;
  const integration = profile.users.find((u) => u.kind === "integration") ?? profile.users[0];
  return {
    orgId15: profile.orgId15,
    orgId18: toCaseSafeId(profile.orgId15),
    runAsUser: {
      id18: integration.id18,
      username: scenario.oauth.username ?? integration.username,
      name: integration.name,
    },
    systemUserId18: profile.automatedProcess.id18,
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Stops accepting, ends idle keep-alive connections and cuts the rest (a slow body would hold close forever). */
function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeIdleConnections();
    server.closeAllConnections();
  });
}
