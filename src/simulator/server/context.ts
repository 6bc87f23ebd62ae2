import type { SimulatedClock } from "../clock.js";
import type { MonitoringObjects } from "../objects/index.js";
import type { SimulatedOrg } from "../org/index.js";
import type { PubSubSimulator } from "../pubsub/server.js";
import type { Scenario } from "../scenario.js";
import type { ApiUsage } from "./api-usage.js";
import type { AssertionPolicy } from "./jwt-assertion.js";
import type { FaultRegistry, Route } from "./faults.js";
import type { QueryLocators } from "./query-locators.js";
import type { OrgIdentity, Sessions } from "./sessions.js";

/** Requests seen per route since start, for /__sim/stats. */
export type RequestCounts = Partial<Record<Route, number>>;

/** Everything a route handler may read or change: one simulated org and its API's state. */
export interface SimulatorContext {
  readonly scenario: Scenario;
  readonly clock: SimulatedClock;
  readonly org: SimulatedOrg;
  /** RTEM storage, Threat Detection, SetupAuditTrail and LoginHistory. */
  readonly objects: MonitoringObjects;
  readonly identity: OrgIdentity;
  readonly sessions: Sessions;
  /** The Pub/Sub API's topics, streams and faults (served over gRPC on its own port). */
  readonly pubsub: PubSubSimulator;
  readonly usage: ApiUsage;
  readonly locators: QueryLocators;
  readonly faults: FaultRegistry;
  readonly requests: RequestCounts;
  /** The EventType picklist: every type Salesforce documents, licensed or not. */
  readonly eventTypes: readonly string[];
  /** The org's newest API version, e.g. 64. */
  readonly latestVersion: number;
  /** The connected app's certificate and accepted audiences; undefined when JWT is not set up. */
  jwtPolicy: Omit<AssertionPolicy, "clientId" | "username"> | undefined;
  /** http://127.0.0.1:PORT, known once listening. */
  url: string;
}
