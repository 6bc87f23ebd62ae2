import {
  type ClientDuplexStream,
  credentials,
  Metadata,
  type ServiceError,
  status as Status,
  type StatusObject,
} from "@grpc/grpc-js";
import type avro from "avsc";
import type { Logger } from "../../observability/logger.js";
import { decodePayload, parseSchema } from "./avro.js";
import { endedError, PubSubError, pubSubError, quietError } from "./errors.js";
import {
  type ConsumerEvent,
  type FetchRequest,
  type FetchResponse,
  PubSubService,
  type SchemaInfo,
  type TopicInfo,
} from "./proto.js";

export type ReplayStart =
  | { preset: "latest" }
  | { preset: "earliest" }
  | { preset: "custom"; replayId: Buffer };

/** What every call carries: tenantId is the org id. */
export interface PubSubAuth {
  accessToken: string;
  instanceUrl: string;
  tenantId: string;
}

export interface StreamEvent {
  /** Opaque bytes exactly as received. */
  replayId: Buffer;
  /** ProducerEvent.id. */
  id: string;
  schemaId: string;
  /** Avro-decoded: unions unwrapped, longs as numbers when safe and decimal strings beyond 2^53 - 1. */
  record: Record<string, unknown>;
}

export interface TopicDescription {
  topicName: string;
  canSubscribe: boolean;
  schemaId: string;
}

export interface PubSubClientOptions {
  /** "host:port", e.g. api.pubsub.salesforce.com:7443. */
  endpoint: string;
  /** True for Salesforce; the simulator speaks plaintext. */
  tls: boolean;
  auth: { current(): Promise<PubSubAuth>; renew(refusedToken: string): Promise<PubSubAuth> };
  logger: Logger;
  /** No response at all (not even a keepalive) this long ends the stream as transient. Default 300 s. */
  quietMs?: number;
}

export interface Subscription {
  /**
   * Up to `max` buffered events, waiting up to `waitMs` for the first; [] when none came in time (or
   * on abort). Once the call has ended, the events it delivered are still handed out, then every call
   * rejects with the same error.
   */
  take(max: number, waitMs: number, signal?: AbortSignal): Promise<StreamEvent[]>;
  /** The newest replay id the server reported (latest_replay_id of any response), for logs. */
  readonly latestReplayId: Buffer | undefined;
  /** Cancels the call; no error surfaces from a close. */
  close(): void;
}

/** Salesforce counts at most this many requested events pending on one Subscribe call. */
export const MAX_PENDING = 100;
const DEFAULT_QUIET_MS = 300_000;
const UNARY_DEADLINE_MS = 60_000;
/** Events up to 1 MB each, 100 to a response: far above gRPC's 4 MB default. */
const MAX_MESSAGE_BYTES = 128 * 1024 * 1024;

type PubSubStub = InstanceType<typeof PubSubService> & {
  GetTopic(
    req: { topic_name: string },
    md: Metadata,
    opts: { deadline: number },
    cb: (e: ServiceError | null, r?: TopicInfo) => void,
  ): void;
  GetSchema(
    req: { schema_id: string },
    md: Metadata,
    opts: { deadline: number },
    cb: (e: ServiceError | null, r?: SchemaInfo) => void,
  ): void;
  Subscribe(md: Metadata): ClientDuplexStream<Partial<FetchRequest>, FetchResponse>;
};

function metadataOf(auth: PubSubAuth): Metadata {
  const md = new Metadata();
  md.set("accesstoken", auth.accessToken);
  md.set("instanceurl", auth.instanceUrl);
  md.set("tenantid", auth.tenantId);
  return md;
}

/**
 * A client of Salesforce's Pub/Sub API for reading event streams: topic descriptions, schemas
 * (fetched once per schema id) and flow-controlled subscriptions. It never reconnects on its own:
 * a failed call surfaces one PubSubError, and the caller decides where and when to subscribe again.
 */
export class PubSubClient {
  private readonly stub: PubSubStub;
  private readonly schemas = new Map<string, Promise<avro.Type>>();
  private readonly subscriptions = new Set<StreamSubscription>();

  constructor(private readonly options: PubSubClientOptions) {
    const creds = options.tls ? credentials.createSsl() : credentials.createInsecure();
    this.stub = new PubSubService(options.endpoint, creds, {
      "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    }) as PubSubStub;
  }

  /** GetTopic: whether the topic exists and may be subscribed to, and its current schema id. */
  async topic(name: string): Promise<TopicDescription> {
    const info = await this.unary<TopicInfo>("GetTopic", { topic_name: name }, name);
    // The first event will need the schema: fetching it now keeps that event from waiting for it.
    this.schema(info.schema_id, name).catch(() => undefined);
    return { topicName: info.topic_name, canSubscribe: info.can_subscribe, schemaId: info.schema_id };
  }

  /**
   * Opens a Subscribe call. At most `capacity` events are ever held, received or requested (and at
   * most 100 requested, Salesforce's ceiling), so a consumer that stops taking stops the stream
   * instead of filling memory.
   */
  subscribe(topic: string, start: ReplayStart, options: { capacity: number }): Subscription {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError(`capacity must be a whole number of events, at least 1; got ${options.capacity}`);
    }
    const subscription = new StreamSubscription(this, topic, start, options.capacity);
    this.subscriptions.add(subscription);
    return subscription;
  }

  close(): void {
    for (const s of this.subscriptions) s.close();
    this.stub.close();
  }

  /** @internal */
  forget(subscription: StreamSubscription): void {
    this.subscriptions.delete(subscription);
  }

  /** @internal The schema's Avro type, fetched with GetSchema once per id. */
  schema(schemaId: string, topic: string): Promise<avro.Type> {
    let type = this.schemas.get(schemaId);
    if (type === undefined) {
      type = this.unary<SchemaInfo>("GetSchema", { schema_id: schemaId }, topic).then((info) =>
        parseSchema(info.schema_json),
      );
      // A failure is not cached: the next event of that schema asks again.
      type.catch(() => this.schemas.delete(schemaId));
      this.schemas.set(schemaId, type);
    }
    return type;
  }

  /** @internal */
  get logger(): Logger {
    return this.options.logger;
  }

  /** @internal */
  get quietMs(): number {
    return this.options.quietMs ?? DEFAULT_QUIET_MS;
  }

  /** @internal */
  currentAuth(): Promise<PubSubAuth> {
    return this.options.auth.current();
  }

  /** @internal */
  openStream(auth: PubSubAuth): ClientDuplexStream<Partial<FetchRequest>, FetchResponse> {
    return this.stub.Subscribe(metadataOf(auth));
  }

  /**
   * @internal The PubSubError for a failed call; after an auth failure the refused token is renewed
   * first, so whatever the caller does next runs with a fresh one.
   */
  async failure(err: ServiceError, call: string, topic: string, token: string): Promise<PubSubError> {
    const error = pubSubError(err, call, topic);
    if (error.kind === "auth") {
      await this.options.auth.renew(token).catch((renewal: unknown) => {
        this.options.logger.warn(
          { topic, err: (renewal as Error).message },
          "the Pub/Sub API refused the access token, and asking for a new one failed",
        );
      });
    }
    return error;
  }

  private async unary<T>(method: "GetTopic" | "GetSchema", request: object, topic: string): Promise<T> {
    const auth = await this.options.auth.current();
    try {
      return await new Promise<T>((resolve, reject) => {
        const done = (err: ServiceError | null, res?: unknown) => (err ? reject(err) : resolve(res as T));
        const opts = { deadline: Date.now() + UNARY_DEADLINE_MS };
        if (method === "GetTopic")
          this.stub.GetTopic(request as { topic_name: string }, metadataOf(auth), opts, done);
        else this.stub.GetSchema(request as { schema_id: string }, metadataOf(auth), opts, done);
      });
    } catch (err) {
      throw await this.failure(err as ServiceError, method, topic, auth.accessToken);
    }
  }
}

const PRESET = { latest: "LATEST", earliest: "EARLIEST", custom: "CUSTOM" } as const;

/** One Subscribe call and the events it has delivered, waiting to be taken. */
class StreamSubscription implements Subscription {
  latestReplayId: Buffer | undefined;
  private call: ClientDuplexStream<Partial<FetchRequest>, FetchResponse> | undefined;
  /** Decoded events, in stream order, not yet taken. */
  private readonly ready: StreamEvent[] = [];
  /** Received, still being decoded (a schema may be on its way). */
  private decoding = 0;
  /** Requested and not yet received: what the server may still send. */
  private outstanding = 0;
  private failure: unknown;
  private closed = false;
  private decoded: Promise<void> = Promise.resolve();
  private quiet: NodeJS.Timeout | undefined;
  private readonly wakers = new Set<() => void>();
  private readonly limit: number;

  constructor(
    private readonly client: PubSubClient,
    private readonly topic: string,
    start: ReplayStart,
    private readonly capacity: number,
  ) {
    this.limit = Math.min(capacity, MAX_PENDING);
    this.open(start).catch((err: unknown) => this.fail(err));
  }

  async take(max: number, waitMs: number, signal?: AbortSignal): Promise<StreamEvent[]> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (this.closed) return [];
      if (this.ready.length > 0) {
        const events = this.ready.splice(0, Math.max(1, max));
        this.topUp();
        return events;
      }
      if (this.failure !== undefined && this.decoding === 0) throw this.failure;
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) return [];
      await this.wake(left, signal);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopQuietTimer();
    this.call?.cancel();
    this.client.forget(this);
    this.notify();
  }

  private async open(start: ReplayStart): Promise<void> {
    const auth = await this.client.currentAuth();
    if (this.closed) return;
    const call = this.client.openStream(auth);
    this.call = call;
    call.on("data", (response: FetchResponse) => this.receive(response));
    call.on("error", (err: ServiceError) => {
      if (this.closed || this.failure !== undefined) return;
      this.client.failure(err, "Subscribe", this.topic, auth.accessToken).then((error) => this.fail(error));
    });
    call.on("status", (status: StatusObject) => {
      if (status.code === Status.OK && !this.closed) this.fail(endedError(this.topic));
    });
    this.outstanding = this.limit;
    // Replay options are read only from the first request of a call.
    call.write({
      topic_name: this.topic,
      replay_preset: PRESET[start.preset],
      replay_id: start.preset === "custom" ? start.replayId : Buffer.alloc(0),
      num_requested: this.limit,
    });
    this.client.logger.debug(
      { topic: this.topic, preset: start.preset, requested: this.limit },
      "Pub/Sub subscription opened",
    );
    this.armQuietTimer();
  }

  private receive(response: FetchResponse): void {
    this.armQuietTimer();
    if (response.latest_replay_id?.length > 0) this.latestReplayId = Buffer.from(response.latest_replay_id);
    const events = response.events ?? [];
    if (events.length === 0) return; // a keepalive
    this.outstanding = Math.max(0, this.outstanding - events.length);
    this.decoding += events.length;
    // Decoded one response after another, so events are taken in the order they came.
    this.decoded = this.decoded.then(async () => {
      try {
        for (const event of events) {
          const decoded = await this.decode(event);
          this.decoding--;
          this.ready.push(decoded);
        }
      } catch (err) {
        this.decoding = 0;
        this.fail(err);
      }
      this.notify();
      // Room left under the capacity is asked for at once: waiting for the next take() would cap
      // the stream at 100 events per cycle of the consumer.
      this.topUp();
    });
  }

  private async decode(consumed: ConsumerEvent): Promise<StreamEvent> {
    const { event } = consumed;
    const type = await this.client.schema(event.schema_id, this.topic);
    let record: Record<string, unknown>;
    try {
      record = decodePayload(type, Buffer.from(event.payload));
    } catch (err) {
      throw new PubSubError(
        `An event of ${this.topic} (id ${event.id}) does not decode with its schema ${event.schema_id} (${(err as Error).message}); the stream was stopped, as every later subscription would hit the same event.`,
        undefined,
        Status.DATA_LOSS,
        "fatal",
        { cause: err },
      );
    }
    return { replayId: Buffer.from(consumed.replay_id), id: event.id, schemaId: event.schema_id, record };
  }

  /** Asks for more while the subscription holds less than its capacity, by whole halves of the window so requests stay few. */
  private topUp(): void {
    if (this.call === undefined || this.closed || this.failure !== undefined) return;
    const held = this.ready.length + this.decoding + this.outstanding;
    const want = Math.min(MAX_PENDING - this.outstanding, this.capacity - held);
    if (want <= 0) return;
    if (want < Math.ceil(this.limit / 2) && this.outstanding > 0) return;
    this.outstanding += want;
    this.call.write({ topic_name: this.topic, num_requested: want });
  }

  private fail(err: unknown): void {
    if (this.failure !== undefined || this.closed) return;
    this.failure = err;
    this.stopQuietTimer();
    this.call?.cancel();
    this.client.forget(this);
    this.notify();
  }

  private armQuietTimer(): void {
    this.stopQuietTimer();
    if (this.closed || this.failure !== undefined) return;
    const quietMs = this.client.quietMs;
    this.quiet = setTimeout(() => this.fail(quietError(this.topic, quietMs)), quietMs);
    this.quiet.unref();
  }

  private stopQuietTimer(): void {
    if (this.quiet !== undefined) clearTimeout(this.quiet);
    this.quiet = undefined;
  }

  private notify(): void {
    for (const wake of this.wakers) wake();
    this.wakers.clear();
  }

  /** Resolves on the next event, failure or close, after `ms`, or on abort. */
  private wake(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
      this.wakers.add(done);
    });
  }
}
