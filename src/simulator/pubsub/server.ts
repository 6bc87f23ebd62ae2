import { randomUUID } from "node:crypto";
import {
  Metadata,
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type sendUnaryData,
  status as Status,
} from "@grpc/grpc-js";
import {
  ERROR_CODE_PREFIX,
  ERROR_CODE_TRAILER,
  type FetchRequest,
  type FetchResponse,
  PUBSUB_SERVICE,
  type SchemaInfo,
  type SchemaRequest,
  type TopicInfo,
  type TopicRequest,
} from "../../salesforce/pubsub/proto.js";
import { ConfigError } from "../../config/load.js";
import type { SimulatedClock } from "../clock.js";
import type { MonitoringObjects } from "../objects/index.js";
import type { OrgIdentity, Sessions } from "../server/sessions.js";
import { ConcurrentApexErrors } from "./concur.js";
import { PubSubFaults } from "./faults.js";
import { encodeReplayId } from "./replay-id.js";
import { type Refusal, SimStream, type StreamHost, type StreamStats } from "./stream.js";
import { buildTopics, type Topic } from "./topics.js";
import type { SimulatedOrg } from "../org/index.js";
import type { Scenario } from "../scenario.js";

export interface PubSubOptions {
  scenario: Scenario;
  clock: SimulatedClock;
  org: SimulatedOrg;
  objects: MonitoringObjects;
  identity: OrgIdentity;
  sessions: Sessions;
  /** The org's newest API version: objects newer than it have no topic. */
  latestVersion: number;
}

/** Streams kept in /__sim/pubsub/subscriptions once ended: the last ones, so memory stays flat. */
const KEEP_ENDED = 50;

/**
 * The simulated org's Pub/Sub API (eventbus.v1.PubSub) on 127.0.0.1, plaintext: GetTopic,
 * GetSchema and Subscribe over the Real-Time Event Monitoring topics, with Salesforce's flow
 * control, keepalives, replay and retention, its error codes, and faults on demand.
 */
export class PubSubSimulator implements StreamHost {
  readonly faults = new PubSubFaults();
  readonly clock: SimulatedClock;
  retentionMs: number;
  readonly keepaliveMs: number;
  private readonly topics: Map<string, Topic>;
  private readonly streams = new Set<SimStream>();
  private readonly ended: StreamStats[] = [];
  private readonly server = new Server({ "grpc.max_send_message_length": 128 * 1024 * 1024 });
  private readonly unwatch: () => void;
  private nextStream = 1;
  /** host:port of the gRPC server, once listening. */
  endpoint = "";
  port = 0;

  constructor(private readonly options: PubSubOptions) {
    const { scenario, org, objects } = options;
    this.clock = options.clock;
    this.retentionMs = scenario.pubsub.retention;
    this.keepaliveMs = scenario.pubsub.keepalive;
    for (const spec of scenario.pubsub.faults) this.faults.add(spec);
    const concur = new ConcurrentApexErrors({
      seed: scenario.seed,
      profile: org.profile,
      sessions: org.sessions,
      historyStart: org.historyStart,
      ratePerHour: scenario.pubsub.concur_rate,
    });
    this.topics = buildTopics(objects, concur);
    this.server.addService(PUBSUB_SERVICE, {
      Subscribe: (call: ServerDuplexStream<FetchRequest, FetchResponse>) => this.subscribe(call),
      GetTopic: (call: ServerUnaryCall<TopicRequest, TopicInfo>, done: sendUnaryData<TopicInfo>) =>
        this.getTopic(call, done),
      GetSchema: (call: ServerUnaryCall<SchemaRequest, SchemaInfo>, done: sendUnaryData<SchemaInfo>) =>
        this.getSchema(call, done),
    });
    // Moving the clock makes events due at once, whatever the streams' timers say.
    this.unwatch = this.clock.onMove(() => this.pumpAll());
  }

  async listen(port: number): Promise<void> {
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, bound) => {
        if (err === null) resolve(bound);
        else if (/EADDRINUSE/.test(err.message)) {
          reject(
            new ConfigError(
              `the Pub/Sub port ${port} is already in use; pick another with --pubsub-port (pubsub.port), or 0 for any free one`,
            ),
          );
        } else reject(err);
      }),
    );
    this.endpoint = `127.0.0.1:${this.port}`;
  }

  close(): void {
    this.unwatch();
    for (const stream of [...this.streams]) stream.shutdown();
    this.server.forceShutdown();
  }

  /** A topic the org has, whoever asks. */
  topic(name: string): Topic | undefined {
    const topic = this.topics.get(name);
    if (topic === undefined || !this.options.scenario.objects.event_monitoring) return undefined;
    if (topic.object !== undefined && !this.options.objects.exists(topic.object, this.options.latestVersion))
      return undefined;
    return topic;
  }

  /** The topics the org has, in catalogue order. */
  available(): Topic[] {
    return [...this.topics.keys()].map((n) => this.topic(n)).filter((t): t is Topic => t !== undefined);
  }

  /** Why a call with this metadata may not read `topicName`, or undefined when it may. */
  refusal(metadata: Metadata, topicName: string | undefined): Refusal | undefined {
    const token = String(metadata.get("accesstoken")[0] ?? "");
    const tenant = String(metadata.get("tenantid")[0] ?? "");
    const { orgId15, orgId18 } = this.options.identity;
    if (this.options.sessions.live(token) === undefined || (tenant !== orgId15 && tenant !== orgId18)) {
      return {
        code: Status.UNAUTHENTICATED,
        errorCode: "service.auth.error",
        message:
          "An authentication exception occurred. Send valid auth headers: accesstoken, instanceurl, tenantid.",
      };
    }
    if (topicName === undefined) return undefined;
    const topic = this.topic(topicName);
    if (topic === undefined) {
      return {
        code: Status.NOT_FOUND,
        errorCode: "topic.not.found",
        message: `The topic ${topicName} was not found.`,
      };
    }
    if (
      topic.object !== undefined &&
      !this.options.objects.canRead(topic.object, this.options.latestVersion)
    ) {
      return {
        code: Status.PERMISSION_DENIED,
        errorCode: "topic.meta.permission",
        message: `You don't have permission to access the topic ${topicName}.`,
      };
    }
    return undefined;
  }

  /** A status error as Salesforce sends one: the code in the `error-code` trailer, an rpcId in the message. */
  error(code: Status, errorCode: string, message: string) {
    const metadata = new Metadata();
    metadata.set(ERROR_CODE_TRAILER, `${ERROR_CODE_PREFIX}${errorCode}`);
    return { code, details: `${message} rpcId: ${this.rpcId()}`, metadata };
  }

  rpcId(): string {
    return randomUUID();
  }

  forget(stream: SimStream): void {
    if (!this.streams.delete(stream)) return;
    this.ended.push(stream.stats);
    if (this.ended.length > KEEP_ENDED) this.ended.shift();
  }

  /** Every Subscribe call seen, the open ones last. */
  subscriptions(): StreamStats[] {
    return [...this.ended, ...[...this.streams].map((s) => s.stats)];
  }

  /** Makes every open stream send what is due now (after a clock move, a fault armed). */
  pumpAll(): void {
    for (const stream of this.streams) stream.pump();
  }

  /**
   * Ground truth: the events a topic has published with time in (since, now], in stream order,
   * with their replay ids; built from slots, never stored.
   */
  *published(topic: Topic, since: number): Generator<{ replayId: Buffer; record: Record<string, unknown> }> {
    for (const slot of topic.slots(since, this.clock.nowMs())) {
      yield { replayId: encodeReplayId(topic.name, slot), record: topic.record(slot) };
    }
  }

  /** How many events a topic has published with time in (since, now]. */
  count(topic: Topic, since: number): number {
    let n = 0;
    for (const _ of topic.slots(since, this.clock.nowMs())) n++;
    return n;
  }

  private subscribe(call: ServerDuplexStream<FetchRequest, FetchResponse>): void {
    const stream = new SimStream(this, call, this.nextStream++);
    this.streams.add(stream);
  }

  private getTopic(call: ServerUnaryCall<TopicRequest, TopicInfo>, done: sendUnaryData<TopicInfo>): void {
    const name = call.request.topic_name;
    const refusal = this.refusal(call.metadata, name);
    if (refusal !== undefined) {
      done(this.error(refusal.code, refusal.errorCode, refusal.message));
      return;
    }
    const topic = this.topic(name) as Topic;
    done(null, {
      topic_name: topic.name,
      tenant_guid: this.options.identity.orgId18,
      can_publish: false,
      can_subscribe: true,
      schema_id: topic.schemaId,
      rpc_id: this.rpcId(),
    });
  }

  private getSchema(call: ServerUnaryCall<SchemaRequest, SchemaInfo>, done: sendUnaryData<SchemaInfo>): void {
    const refusal = this.refusal(call.metadata, undefined);
    if (refusal !== undefined) {
      done(this.error(refusal.code, refusal.errorCode, refusal.message));
      return;
    }
    const id = call.request.schema_id;
    const topic = this.available().find((t) => t.schemaId === id);
    if (topic === undefined) {
      done(this.error(Status.NOT_FOUND, "schema.validation.failed", `No schema has the id ${id}.`));
      return;
    }
    done(null, { schema_json: topic.schemaJson, schema_id: topic.schemaId, rpc_id: this.rpcId() });
  }
}
