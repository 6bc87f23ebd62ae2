import { OBJECT_KEY, type SourceEvent } from "../../core/event.js";
import { sekoiaShape } from "../../normalize/sekoia-shape.js";
import { secrets } from "../../observability/logger.js";
import { DEFAULT_RETRY_POLICY } from "../http-batch/delivery.js";
import { HttpBatchOutput } from "../http-batch/output.js";
import { MAX_EVENT_CHARS, SEKOIA_DEFAULTS, type SekoiaOutputOptions } from "./config.js";
import { intakeEndpoint, intakeProtocol } from "./intake.js";
import { type IntakeProbe, probeIntake } from "./probe.js";

/**
 * Delivers events to a Sekoia.io intake through `POST /batch`: http-batch's batching, backpressure,
 * retries and splits (see HttpBatchOutput), with the intake's body and answers (intake.ts).
 */
export class SekoiaOutput extends HttpBatchOutput {
  constructor(options: SekoiaOutputOptions) {
    secrets.add(options.intakeKey);
    super({
      name: "sekoia",
      endpoint: intakeEndpoint(options.url ?? SEKOIA_DEFAULTS.url),
      protocol: intakeProtocol(options.intakeKey),
      deadLetters: options.deadLetters,
      logger: options.logger,
      dispatcher: options.dispatcher,
      maxBatchBytes: options.maxBatchBytes ?? SEKOIA_DEFAULTS.maxBatchBytes,
      maxBatchEvents: options.maxBatchEvents ?? SEKOIA_DEFAULTS.maxBatchEvents,
      maxEventChars: MAX_EVENT_CHARS,
      lingerMs: options.lingerMs ?? SEKOIA_DEFAULTS.lingerMs,
      maxInFlight: options.maxInFlight ?? SEKOIA_DEFAULTS.maxInFlight,
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      requestTimeoutMs: options.requestTimeoutMs ?? SEKOIA_DEFAULTS.requestTimeoutMs,
      compression: options.compression ?? SEKOIA_DEFAULTS.compression,
      text: intakeText,
    });
  }

  /** An empty batch, sent once: see probeIntake. */
  probe(): Promise<IntakeProbe> {
    return probeIntake(this.destination);
  }
}

/**
 * What the intake receives of an event: a row's raw JSON; an object record re-keyed to the Event
 * Log File columns Sekoia.io's Salesforce format reads, which extracts nothing from a record's own
 * field names (docs/mapping.md, "Objects in Sekoia.io").
 */
function intakeText(event: SourceEvent): string {
  const { fields } = event;
  if (fields.kind !== "record") return event.json;
  return sekoiaShape(event.origin.eventType ?? String(fields.record[OBJECT_KEY]), fields.record);
}
