import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/observability/logger.js";
import { DeadLetters } from "../../../src/outputs/dead-letter.js";
import { HttpBatchOutput } from "../../../src/outputs/http-batch/output.js";
import type { BatchProtocol } from "../../../src/outputs/http-batch/protocol.js";
import { loginEvent } from "../../support/events.js";

/**
 * A destination that is not Sekoia.io: events as they are, in a JSON array with a two-byte
 * separator, acknowledged by a count. Supplying its body and its answers is all it takes.
 */
const countingCollector: BatchProtocol = {
  words: {
    vendor: "Example",
    receiver: "collector",
    checkUrl: "Check outputs.example.url",
    maxBatchBytesKey: "outputs.example.max_batch_bytes",
    credentialsRejected: "Example rejected the token: check outputs.example.token.",
  },
  body: {
    head: Buffer.from("["),
    separator: Buffer.from(",\n"),
    tail: Buffer.from("]"),
    item: (json) => json,
    event: (item) => item,
  },
  contentType: "application/json",
  acknowledgementBytes: () => 1024,
  acknowledgement(status, text, events) {
    const accepted = (JSON.parse(text) as { accepted?: number }).accepted;
    return accepted === events
      ? { kind: "accepted" }
      : { kind: "unacknowledged", reason: `HTTP ${status} acknowledging ${accepted} of ${events}` };
  },
};

describe("HttpBatchOutput with a destination of its own", () => {
  let server: Server;
  let url: string;
  let dir: string;
  /** Events the collector stored; it refuses (400) any batch holding a URI of "/refused". */
  let stored: unknown[];

  beforeEach(async () => {
    stored = [];
    dir = mkdtempSync(join(tmpdir(), "sfevents-http-batch-"));
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        let events: { URI: string }[];
        try {
          events = JSON.parse(body) as { URI: string }[];
        } catch {
          response.writeHead(400).end("not a JSON array");
          return;
        }
        if (events.some((e) => e.URI === "/refused")) {
          response.writeHead(400).end("an event has a refused URI");
          return;
        }
        stored.push(...events);
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ accepted: events.length }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it("delivers batches, and splits a refused one down to the event it refuses, which is dead-lettered", async () => {
    const deadLetters = new DeadLetters(join(dir, "dead-letters.ndjson"));
    const output = new HttpBatchOutput({
      name: "example",
      endpoint: url,
      protocol: countingCollector,
      deadLetters,
      logger: createLogger({ level: "silent" }),
      maxBatchBytes: 64 * 1024,
      maxBatchEvents: 100,
      maxEventChars: 10_000,
      lingerMs: 60_000,
      maxInFlight: 2,
      retry: { initialDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 10_000 },
      requestTimeoutMs: 10_000,
      compression: "none",
    });
    const events = [1, 2, 3, 4, 5].map((line) => loginEvent(line, line === 4 ? { uri: "/refused" } : {}));
    for (const event of events) await output.write(event);
    await output.flush();
    await output.close();
    await deadLetters.close();

    expect(stored).toEqual(events.filter((_, i) => i !== 3).map((e) => JSON.parse(e.json)));
    expect(output.counters).toMatchObject({ eventsSent: 4, deadLetters: 1 });
    const letters = readFileSync(join(dir, "dead-letters.ndjson"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(letters).toEqual([
      expect.objectContaining({
        reason: "refused by the Example collector (HTTP 400: an event has a refused URI)",
        line: 4,
        payload: events[3].json,
      }),
    ]);
  });
});
