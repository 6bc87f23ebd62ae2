import { type Metadata, type ServerDuplexStream, status as Status } from "@grpc/grpc-js";
import type { FetchRequest, FetchResponse } from "../../salesforce/pubsub/proto.js";
import { compareSlots, type Slot } from "../objects/index.js";
import { HOUR_MS } from "../org/volume.js";
import { decodeReplayId, END_OF_MS, encodeReplayId, type StreamPosition } from "./replay-id.js";
import type { PubSubFaults } from "./faults.js";
import type { Topic } from "./topics.js";

export interface Refusal {
  code: Status;
  errorCode: string;
  message: string;
}

/** What a stream needs of the simulated Pub/Sub API (server.ts). */
export interface StreamHost {
  readonly faults: PubSubFaults;
  readonly clock: { nowMs(): number; readonly running: boolean };
  readonly retentionMs: number;
  readonly keepaliveMs: number;
  topic(name: string): Topic | undefined;
  refusal(metadata: Metadata, topicName: string): Refusal | undefined;
  error(code: Status, errorCode: string, message: string): object;
  rpcId(): string;
  forget(stream: SimStream): void;
}

/** Salesforce's ceiling on requested events pending on one Subscribe call. */
export const MAX_PENDING = 100;
const KEPT_REQUESTS = 100;

/** What the simulator saw of one Subscribe call, for /__sim/pubsub/subscriptions. */
export interface StreamStats {
  id: number;
  topic: string;
  preset: string;
  /** num_requested of the call's latest FetchRequests (at most 100, oldest first). */
  requested: number[];
  /** The sum of every num_requested of the call. */
  requestedTotal: number;
  /** The most events ever requested and not yet sent, before the cap of 100 applies. */
  maxOutstanding: number;
  sent: number;
  keepalives: number;
  open: boolean;
  /** How the call ended: "OK", "cancelled", or the status and error code it failed with. */
  ended?: string;
}

/**
 * One Subscribe call. Events go out only while requested (at most 100 pending, requests adding up),
 * each at the moment the simulated clock reaches its time, in stream order from where the call
 * started; nothing is kept but the position of the last event sent and the hour being read.
 */
export class SimStream {
  readonly stats: StreamStats;
  private topic: Topic | undefined;
  private pending = 0;
  private position: StreamPosition = { time: 0, stream: END_OF_MS, index: END_OF_MS };
  /** Slots in (iterLo, iterHi] come from `slots`; none past iterHi has been looked at. */
  private slots: Generator<Slot> | undefined;
  private iterLo = 0;
  private peeked: Slot | undefined;
  private keepaliveAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly sim: StreamHost,
    private readonly call: ServerDuplexStream<FetchRequest, FetchResponse>,
    id: number,
  ) {
    this.stats = {
      id,
      topic: "",
      preset: "",
      requested: [],
      requestedTotal: 0,
      maxOutstanding: 0,
      sent: 0,
      keepalives: 0,
      open: true,
    };
    call.on("data", (req: FetchRequest) => this.request(req));
    call.on("cancelled", () => this.stop("cancelled"));
    call.on("error", () => this.stop("cancelled"));
    call.on("end", () => {
      this.stop("OK");
      call.end();
    });
  }

  /** Sends what is due; called on each request, on the clock moving, on timers. */
  pump(): void {
    if (this.closed || this.topic === undefined) return;
    clearTimeout(this.timer);
    const topic = this.topic;
    const wall = Date.now();
    const quietUntil = this.sim.faults.quietUntil(topic.name);
    if (quietUntil !== undefined) {
      this.schedule(quietUntil - wall);
      return;
    }
    const now = this.sim.clock.nowMs();
    const due: Slot[] = [];
    let caughtUp = false;
    while (due.length < this.pending) {
      const slot = this.next(now);
      if (slot === undefined) {
        caughtUp = true;
        break;
      }
      due.push(slot);
    }
    const cut = this.sim.faults.streamBreak(topic.name, due.length);
    const sent = due.slice(0, cut.allowed);
    if (sent.length > 0) {
      this.pending -= sent.length;
      this.position = sent[sent.length - 1];
      this.stats.sent += sent.length;
      const events = sent.map((slot) => {
        const record = topic.record(slot);
        return {
          event: {
            id: String(record.EventIdentifier ?? ""),
            schema_id: topic.schemaId,
            payload: topic.encode(record),
            headers: [],
          },
          replay_id: encodeReplayId(topic.name, slot),
        };
      });
      this.write(events, encodeReplayId(topic.name, this.position));
    }
    if (cut.fault === "drop-stream") {
      this.fail(
        Status.UNAVAILABLE,
        "service.unavailable",
        "The service is unavailable: RST_STREAM closed stream.",
      );
      return;
    }
    if (cut.fault === "auth-error") {
      this.fail(Status.UNAUTHENTICATED, "service.auth.error", "An authentication exception occurred.");
      return;
    }
    if (sent.length === 0 && wall >= this.keepaliveAt) {
      // Nothing to send: an empty response with the newest place a subscriber may resume from.
      const latest = caughtUp ? { time: now, stream: END_OF_MS, index: END_OF_MS } : this.position;
      this.stats.keepalives++;
      this.write([], encodeReplayId(topic.name, latest));
    }
    this.scheduleNext(now);
  }

  /** Ends the call with a Pub/Sub error: status, `error-code` trailer, message with an rpcId. */
  fail(code: Status, errorCode: string, message: string): void {
    if (this.closed) return;
    this.stop(`${Status[code]} ${errorCode}`);
    this.call.emit("error", this.sim.error(code, errorCode, message));
  }

  private request(req: FetchRequest): void {
    if (this.closed) return;
    const n = req.num_requested;
    // A long stream makes thousands of requests: only the latest are kept, so memory stays flat.
    if (this.stats.requested.push(n) > KEPT_REQUESTS) this.stats.requested.shift();
    this.stats.requestedTotal += n;
    if (this.topic === undefined) {
      if (!this.start(req)) return;
    } else if (req.topic_name !== "" && req.topic_name !== this.topic.name) {
      this.fail(
        Status.INVALID_ARGUMENT,
        "subscription.fetch.topic.mismatch",
        `A Subscribe call reads one topic: ${this.topic.name}, not ${req.topic_name}.`,
      );
      return;
    }
    if (!Number.isInteger(n) || n <= 0) {
      this.fail(
        Status.INVALID_ARGUMENT,
        "subscription.fetch.requested.events.invalid",
        "The requested number of events in a fetch request must be greater than zero.",
      );
      return;
    }
    this.stats.maxOutstanding = Math.max(this.stats.maxOutstanding, this.pending + n);
    this.pending = Math.min(MAX_PENDING, this.pending + n);
    this.pump();
  }

  /** The first request: the topic, the caller's rights, and where the call starts. */
  private start(req: FetchRequest): boolean {
    const refusal = this.sim.refusal(this.call.metadata, req.topic_name);
    this.stats.topic = req.topic_name;
    this.stats.preset = req.replay_preset;
    if (refusal !== undefined) {
      this.stop(`${Status[refusal.code]} ${refusal.errorCode}`);
      this.call.emit("error", this.sim.error(refusal.code, refusal.errorCode, refusal.message));
      return false;
    }
    const topic = this.sim.topic(req.topic_name) as Topic;
    const now = this.sim.clock.nowMs();
    const retainedFrom = now - this.sim.retentionMs;
    if (req.replay_preset === "CUSTOM") {
      const at = req.replay_id.length === 0 ? undefined : decodeReplayId(topic.name, req.replay_id);
      if (at === undefined && req.replay_id.length === 0) {
        this.fail(
          Status.INVALID_ARGUMENT,
          "subscription.fetch.replayid.validation.failed",
          "A CUSTOM replay preset needs a replay id.",
        );
        return false;
      }
      if (at === undefined || at.time < retainedFrom || this.sim.faults.refuseReplayId(topic.name)) {
        this.fail(
          Status.INVALID_ARGUMENT,
          "subscription.fetch.replayid.corrupted",
          "The replay ID validation failed. Ensure that the replay ID is valid.",
        );
        return false;
      }
      this.position = at;
      // The same millisecond may hold events after it: read from just before, skip up to it.
      this.iterLo = at.time - 1;
    } else {
      const from = req.replay_preset === "EARLIEST" ? retainedFrom : now;
      this.position = { time: from, stream: END_OF_MS, index: END_OF_MS };
      this.iterLo = from;
    }
    this.topic = topic;
    this.keepaliveAt = Date.now() + this.sim.keepaliveMs;
    return true;
  }

  /** The next event after the position whose time has come, or undefined. */
  private next(now: number): Slot | undefined {
    const topic = this.topic as Topic;
    for (;;) {
      if (this.peeked !== undefined) {
        if (this.peeked.time > now) return undefined;
        const slot = this.peeked;
        this.peeked = undefined;
        return slot;
      }
      if (this.slots === undefined) {
        if (this.iterLo > now) return undefined;
        // An hour ahead at a time, so the next event's time is known without reading further.
        const hi = Math.max(now, this.iterLo) + HOUR_MS;
        this.slots = topic.slots(this.iterLo, hi);
        this.iterLo = hi;
      }
      const step = this.slots.next();
      if (step.done) {
        this.slots = undefined;
        continue;
      }
      if (compareSlots(step.value, this.position) <= 0) continue;
      this.peeked = step.value;
    }
  }

  private scheduleNext(now: number): void {
    let wait = this.keepaliveAt - Date.now();
    if (this.sim.clock.running && this.pending > 0) {
      const nextTime = this.peeked?.time ?? (this.slots === undefined ? this.iterLo + 1 : undefined);
      if (nextTime !== undefined) wait = Math.min(wait, nextTime - now);
    }
    this.schedule(wait);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pump(), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    // The servers keep the process alive, never a stream's timer.
    this.timer.unref();
  }

  /** The server is closing: no timer may outlive it. */
  shutdown(): void {
    this.stop("cancelled");
  }

  private write(events: FetchResponse["events"], latest: Buffer): void {
    this.keepaliveAt = Date.now() + this.sim.keepaliveMs;
    this.call.write({
      events,
      latest_replay_id: latest,
      rpc_id: this.sim.rpcId(),
      pending_num_requested: this.pending,
    });
  }

  private stop(how: string): void {
    if (this.closed) return;
    this.closed = true;
    this.stats.open = false;
    this.stats.ended = how;
    clearTimeout(this.timer);
    this.sim.forget(this);
  }
}
