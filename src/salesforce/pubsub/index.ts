// The Pub/Sub API client's public surface, for the streams source and the simulator's tests.
export {
  PubSubClient,
  MAX_PENDING,
  type PubSubAuth,
  type PubSubClientOptions,
  type ReplayStart,
  type StreamEvent,
  type Subscription,
  type TopicDescription,
} from "./client.js";
export { PubSubError, type PubSubErrorKind } from "./errors.js";
