import type { BatchEndpoint } from "../http-batch/exchange.js";
import { KEY_REJECTED } from "./intake.js";

/** What `sfevents check` reports about the intake. */
export interface IntakeProbe {
  ok: boolean;
  /** The outcome as a sentence, with the fix when something is wrong. */
  detail: string;
}

const PROBE_TIMEOUT_MS = 10_000;

/**
 * Sends an empty batch: it reaches the intake and presents the key without adding any event to
 * the SIEM. One attempt, no retries: `check` reports what it saw, and no more than it proves.
 */
export async function probeIntake(intake: BatchEndpoint): Promise<IntakeProbe> {
  const where = intake.endpoint;
  const answer = await intake.sendEmpty(PROBE_TIMEOUT_MS);
  const fixUrl = "Check outputs.sekoia.url: it is the intake's base URL, without /batch.";
  switch (answer.kind) {
    case "accepted":
      return {
        ok: true,
        detail: `${where} answers like a Sekoia.io intake: it acknowledged an empty batch ({"event_ids": []}) without rejecting the key. An empty batch may not be checked against the key; the first events collected are what proves it.`,
      };
    case "credentials-rejected":
      return { ok: false, detail: `${KEY_REJECTED} (HTTP ${answer.status} from ${where})` };
    case "untrusted":
      return { ok: false, detail: answer.reason };
    case "unavailable":
      return {
        ok: false,
        detail: `The Sekoia.io intake at ${where} did not answer as expected (${answer.reason}). Check outputs.sekoia.url and that this host can reach it (proxy, firewall).`,
      };
    case "unacknowledged":
      return {
        ok: false,
        detail: `${where} does not answer like a Sekoia.io intake (${answer.reason}), so no event sent there would count as delivered. ${fixUrl}`,
      };
    case "refused":
    case "too-large":
    case "misdirected":
      return {
        ok: false,
        detail: `The Sekoia.io intake at ${where} refused an empty batch (HTTP ${answer.kind === "too-large" ? 413 : answer.status}${answer.detail ? `: ${answer.detail}` : ""}). ${fixUrl}`,
      };
  }
}
