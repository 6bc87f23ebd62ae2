import { fileURLToPath } from "node:url";
import { loadPackageDefinition, type ServiceClientConstructor, type ServiceDefinition } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

/**
 * Salesforce's Pub/Sub API service (eventbus.v1.PubSub), loaded once from proto/pubsub_api.proto for
 * both ends: the collector's client and the simulator's server. Field names stay as the proto spells
 * them (keepCase), enums travel as their names, bytes as Buffers.
 */

// Resolved from this module, so the same line works from src/ (tests) and dist/ (the package).
const PROTO = fileURLToPath(new URL("../../../proto/pubsub_api.proto", import.meta.url));

const definition = loadSync(PROTO, { keepCase: true, enums: String, longs: String, defaults: true });
const eventbus = loadPackageDefinition(definition).eventbus as { v1: { PubSub: ServiceClientConstructor } };

/** The client constructor of eventbus.v1.PubSub. */
export const PubSubService: ServiceClientConstructor = eventbus.v1.PubSub;
/** Its service definition, for a server. */
export const PUBSUB_SERVICE: ServiceDefinition = PubSubService.service;

export type ReplayPresetName = "LATEST" | "EARLIEST" | "CUSTOM";

export interface TopicRequest {
  topic_name: string;
}

export interface TopicInfo {
  topic_name: string;
  tenant_guid: string;
  can_publish: boolean;
  can_subscribe: boolean;
  schema_id: string;
  rpc_id: string;
}

export interface SchemaRequest {
  schema_id: string;
}

export interface SchemaInfo {
  schema_json: string;
  schema_id: string;
  rpc_id: string;
}

export interface ProducerEvent {
  id: string;
  schema_id: string;
  payload: Buffer;
  headers: { key: string; value: Buffer }[];
}

export interface ConsumerEvent {
  event: ProducerEvent;
  replay_id: Buffer;
}

export interface FetchRequest {
  topic_name: string;
  replay_preset: ReplayPresetName;
  replay_id: Buffer;
  num_requested: number;
  auth_refresh: string;
}

export interface FetchResponse {
  events: ConsumerEvent[];
  latest_replay_id: Buffer;
  rpc_id: string;
  pending_num_requested: number;
}

/** The trailer that names Salesforce's error, e.g. sfdc.platform.eventbus.grpc.topic.not.found. */
export const ERROR_CODE_TRAILER = "error-code";
/** Every Pub/Sub error code starts with this. */
export const ERROR_CODE_PREFIX = "sfdc.platform.eventbus.grpc.";
