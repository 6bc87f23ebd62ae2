import { describeError } from "../../core/errors.js";
import { secrets } from "../../observability/logger.js";
import type { OutputType } from "../output-type.js";
import { sekoiaConfig } from "./config.js";

const TITLE = "Sekoia.io intake";
const FIX = "check outputs.sekoia.url (your region's intake URL) and outputs.sekoia.intake_key";

/** A Sekoia.io intake created from the Salesforce format. The modules that load undici come lazily. */
export const sekoiaOutputType = {
  key: "sekoia",
  title: TITLE,
  schema: sekoiaConfig,
  async open(config, { logger, dispatcher, deadLetters }) {
    const { SekoiaOutput } = await import("./sink.js");
    return new SekoiaOutput({
      url: config.url,
      intakeKey: config.intake_key,
      retry: { maxElapsedMs: config.retry_budget },
      requestTimeoutMs: config.request_timeout,
      maxBatchBytes: config.max_batch_bytes,
      maxBatchEvents: config.max_batch_events,
      deadLetters,
      logger,
      dispatcher,
    });
  },
  async probe(config, { dispatcher }) {
    secrets.add(config.intake_key);
    const [{ BatchEndpoint }, { intakeEndpoint, intakeProtocol }, { probeIntake }] = await Promise.all([
      import("../http-batch/exchange.js"),
      import("./intake.js"),
      import("./probe.js"),
    ]);
    try {
      const probe = await probeIntake(
        new BatchEndpoint({
          endpoint: intakeEndpoint(config.url),
          protocol: intakeProtocol(config.intake_key),
          dispatcher,
          requestTimeoutMs: config.request_timeout,
          compression: "none",
        }),
      );
      return probe.ok
        ? { status: "ok", title: TITLE, detail: probe.detail }
        : { status: "fail", title: TITLE, detail: probe.detail, fix: FIX };
    } catch (err) {
      return { status: "fail", title: TITLE, detail: describeError(err), fix: FIX };
    }
  },
} satisfies OutputType<"sekoia", typeof sekoiaConfig>;
