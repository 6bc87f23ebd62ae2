import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { Agent, buildConnector } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/observability/logger.js";
import type { SourceEvent } from "../../../src/core/event.js";
import { OutputError } from "../../../src/core/output.js";
import { type SekoiaOutputOptions, MAX_EVENT_CHARS } from "../../../src/outputs/sekoia/config.js";
import { KEY_REJECTED } from "../../../src/outputs/sekoia/intake.js";
import { SekoiaOutput } from "../../../src/outputs/sekoia/sink.js";
import { DeadLetters } from "../../../src/outputs/dead-letter.js";
import { loginEvent } from "../../support/events.js";
import { FAST_INTAKE_RETRY, FakeIntake } from "../../support/intake.js";

const INTAKE_KEY = "sk-Zr8pQ2wXv5Lm9sTbN4";

describe("SekoiaOutput", () => {
  let intake: FakeIntake;
  let dir: string;
  let logLines: string[];
  let outputs: SekoiaOutput[];
  let deadLetters: DeadLetters;

  beforeEach(async () => {
    intake = await FakeIntake.start();
    dir = mkdtempSync(join(tmpdir(), "sfevents-sekoia-"));
    logLines = [];
    outputs = [];
    deadLetters = new DeadLetters(join(dir, "dead-letters.ndjson"));
  });
  afterEach(async () => {
    for (const output of outputs) await output.close();
    await intake.close();
    rmSync(dir, { recursive: true, force: true });
    // Whatever happened in the test, the key never reached a log line.
    expect(logLines.join("")).not.toContain(INTAKE_KEY);
  });

  function sekoia(options: Partial<SekoiaOutputOptions> = {}): SekoiaOutput {
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    const output = new SekoiaOutput({
      url: intake.url,
      intakeKey: INTAKE_KEY,
      deadLetters,
      logger: createLogger({ destination, level: "info" }),
      retry: FAST_INTAKE_RETRY,
      lingerMs: 60_000,
      ...options,
    });
    outputs.push(output);
    return output;
  }

  function messages(): string[] {
    return logLines.map((line) => JSON.parse(line).msg as string);
  }

  async function writeAll(output: SekoiaOutput, events: SourceEvent[]) {
    for (const event of events) await output.write(event);
  }

  it("delivers events unchanged, in order, with the intake key in the body, gzipped when asked", async () => {
    const output = sekoia({ compression: "gzip" });
    const events = Array.from({ length: 25 }, (_, i) => loginEvent(i + 2, { uri: `/path/${i}?q="é"` }));
    await writeAll(output, events);
    expect(intake.batches).toHaveLength(0);
    await output.flush();
    expect(intake.events).toEqual(events.map((e) => e.json));
    expect(intake.batches.every((b) => b.intakeKey === INTAKE_KEY && b.contentEncoding === "gzip")).toBe(
      true,
    );
    expect(output.counters).toMatchObject({ eventsSent: 25, batchesSent: 1, retries: 0, deadLetters: 0 });
  });

  it("sends an object record re-keyed to the Event Log File columns Sekoia.io's format reads", async () => {
    const record = {
      EventDate: "2026-11-20T09:30:00.123+0000",
      EventIdentifier: "a1b2",
      SourceIp: "192.0.2.10",
      sobject: "LoginEvent",
    };
    const event: SourceEvent = {
      origin: { source: "objects:LoginEvent", unit: "w", eventType: "LoginEvent" },
      line: 1,
      json: JSON.stringify(record),
      fields: { kind: "record", record },
      identity: "a1b2",
    };
    const output = sekoia();
    await output.write(event);
    await output.write(loginEvent(2));
    await output.flush();
    const [sent, row] = intake.events.map((e) => JSON.parse(e));
    expect(sent).toMatchObject({ EVENT_TYPE: "Login", SOURCE_IP: "192.0.2.10" });
    // A CSV row goes as it was read.
    expect(row).toEqual(JSON.parse(loginEvent(2).json));
  });

  it("keeps every request body under 9 MiB with events near the size limit", async () => {
    const output = sekoia();
    // Quotes and multi-byte characters make the escaped, UTF-8 size larger than the character count.
    const unit = 'é"東';
    const unitInJson = JSON.stringify(unit).length - 2;
    const events = Array.from({ length: 50 }, (_, i) =>
      loginEvent(i + 2, { uri: unit.repeat(Math.floor((MAX_EVENT_CHARS - 200) / unitInJson)) + i }),
    );
    expect(
      events.every((e) => e.json.length <= MAX_EVENT_CHARS && e.json.length > MAX_EVENT_CHARS - 300),
    ).toBe(true);
    await writeAll(output, events);
    await output.flush();
    const limit = 9 * 1024 * 1024;
    expect(intake.batches.length).toBeGreaterThan(1);
    for (const batch of intake.batches) expect(batch.bodyBytes).toBeLessThanOrEqual(limit);
    // Batches are full: every one but the smallest (the last written) could not take one more event.
    const eventBytes = Buffer.byteLength(JSON.stringify(events[0].json)) + 1;
    const sizes = intake.batches.map((b) => b.bodyBytes).sort((a, b) => b - a);
    for (const size of sizes.slice(0, -1)) expect(size + eventBytes).toBeGreaterThan(limit);
    expect([...intake.events].sort()).toEqual(events.map((e) => e.json).sort());
    expect(intake.batches.every((b) => b.contentEncoding === undefined)).toBe(true);
  });

  it("closes a batch at the event count limit, and sends a trickle after the linger time", async () => {
    const output = sekoia({ maxBatchEvents: 10, lingerMs: 20 });
    await writeAll(
      output,
      Array.from({ length: 23 }, (_, i) => loginEvent(i + 2)),
    );
    // Two full batches go at once; the last three leave when the linger time is up, without a flush.
    await intake.until(() => intake.batches.length === 3);
    expect(intake.batches.map((b) => b.jsons.length).sort((a, b) => b - a)).toEqual([10, 10, 3]);
    await output.flush();
    expect(intake.batches).toHaveLength(3);
  });

  it("keeps an event over 250,000 characters in the dead-letter file and logs it once per file", async () => {
    const output = sekoia();
    const atLimit = loginEvent(2, { size: MAX_EVENT_CHARS });
    const over = [3, 4].map((line) => loginEvent(line, { size: MAX_EVENT_CHARS + 1 }));
    const otherFile = loginEvent(9, { size: MAX_EVENT_CHARS + 10, unit: "0ATD00000000002AAA" });
    expect(atLimit.json.length).toBe(MAX_EVENT_CHARS);
    expect(over[0].json.length).toBe(MAX_EVENT_CHARS + 1);
    await writeAll(output, [atLimit, ...over, otherFile, loginEvent(5)]);
    await output.flush();
    await deadLetters.close();

    expect(intake.events).toEqual([atLimit.json, loginEvent(5).json]);
    expect(output.counters.deadLetters).toBe(3);
    const letters = readFileSync(join(dir, "dead-letters.ndjson"), "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(letters.map((l) => [l.unit, l.line, l.payload])).toEqual([
      [over[0].origin.unit, 3, over[0].json],
      [over[1].origin.unit, 4, over[1].json],
      ["0ATD00000000002AAA", 9, otherFile.json],
    ]);
    const warnings = logLines.map((l) => JSON.parse(l)).filter((l) => l.level === "warn");
    expect(warnings.map((w) => [w.unit, w.line])).toEqual([
      [over[0].origin.unit, 3],
      ["0ATD00000000002AAA", 9],
    ]);
  });

  it("retries 429, 5xx and hang-ups, then delivers each event exactly once, logging the outage once", async () => {
    const output = sekoia({ maxBatchEvents: 5 });
    intake.plan = [503, 429, "hang-up", 500, 502];
    const events = Array.from({ length: 20 }, (_, i) => loginEvent(i + 2));
    await writeAll(output, events);
    await output.flush();
    // Two batches travel at once, so a retried one may land after its successor: compare as sets.
    expect([...intake.events].sort()).toEqual(events.map((e) => e.json).sort());
    expect(output.counters.retries).toBe(5);
    expect(output.counters.batchesSent).toBe(4);
    expect(messages()).toEqual([
      "The Sekoia.io intake is unavailable; retrying with backoff",
      "The Sekoia.io intake is accepting events again",
    ]);
  });

  it("honours Retry-After on a 429", async () => {
    const output = sekoia({ retry: { initialDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 500 } });
    intake.plan = [429];
    intake.errorHeaders = { "retry-after": "3600" };
    output.write(loginEvent(2));
    // An hour's wait does not fit a 500 ms budget: the output gives up rather than retrying early.
    await expect(output.flush()).rejects.toThrowError(/retry budget of 500ms \(last answer: HTTP 429/);
    expect(intake.requests).toBe(1);
  });

  it("gives up when the retry budget is spent, discards the failed batches and stays usable", async () => {
    // One request at a time: a request abandoned mid-flight could still reach the intake, and this
    // test counts exactly what arrives.
    const output = sekoia({
      maxBatchEvents: 3,
      maxInFlight: 1,
      retry: { initialDelayMs: 1, maxDelayMs: 10, maxElapsedMs: 100 },
    });
    intake.fallback = 503;
    const lost = Array.from({ length: 7 }, (_, i) => loginEvent(i + 2));
    const outcome = await writeAll(output, lost)
      .then(
        () => output.flush(),
        () => output.flush(),
      )
      .catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(OutputError);
    expect((outcome as OutputError).fatal).toBe(false);
    expect((outcome as OutputError).message).toMatch(
      /^The Sekoia\.io intake did not accept a batch within the retry budget of 100ms \(last answer: HTTP 503.*The files in flight will be delivered again on the next cycle\.$/,
    );
    expect(intake.batches).toHaveLength(0);

    intake.fallback = 200;
    const next = [loginEvent(20), loginEvent(21)];
    await writeAll(output, next);
    await output.flush();
    // Only what was written after the failure arrives: the caller re-sends the failed files itself.
    expect(intake.events).toEqual(next.map((e) => e.json));
    expect(messages()).toEqual([
      "The Sekoia.io intake is unavailable; retrying with backoff",
      "The Sekoia.io intake is accepting events again",
    ]);
  });

  it.each([401, 403])("stops with a clear, fatal error when the intake answers %i", async (status) => {
    const output = sekoia();
    intake.fallback = status;
    intake.errorBody = JSON.stringify({ message: `unknown intake key ${INTAKE_KEY}` });
    output.write(loginEvent(2));
    const error = await output.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputError);
    expect((error as OutputError).fatal).toBe(true);
    expect((error as OutputError).message).toBe(KEY_REJECTED);
    expect(intake.requests).toBe(1);
  });

  it("takes a 400 about the intake key for a rejected key, and a 400 even an empty batch gets for a fatal misconfiguration", async () => {
    const output = sekoia();
    intake.plan = [400];
    intake.errorBody = JSON.stringify({ message: `Invalid intake_key: ${INTAKE_KEY}` });
    output.write(loginEvent(2));
    await expect(output.flush()).rejects.toThrowError(KEY_REJECTED);

    // Every request is refused, the empty batch sent to tell the events from the request included:
    // no event is set aside, nothing is split further.
    intake.fallback = 400;
    intake.errorBody = JSON.stringify({ message: "malformed body", echo: INTAKE_KEY });
    output.write(loginEvent(3));
    const error = (await output.flush().catch((e: unknown) => e)) as OutputError;
    expect(error.fatal).toBe(true);
    expect(error.message).toMatch(
      /^The Sekoia\.io intake at \S+ refuses every batch, even an empty one \(HTTP 400: .*malformed body.*Check outputs\.sekoia\.url/,
    );
    expect(error.message).not.toContain(INTAKE_KEY);
    expect(error.message).not.toContain("report");
    expect(intake.requests).toBe(3);
    expect(output.counters.deadLetters).toBe(0);
  });

  it("stops on a 404, which says the URL is not the intake's", async () => {
    const output = sekoia();
    intake.fallback = 404;
    intake.errorBody = "Not Found";
    output.write(loginEvent(2));
    const error = (await output.flush().catch((e: unknown) => e)) as OutputError;
    expect(error.fatal).toBe(true);
    expect(error.message).toBe(
      `${intake.url}/batch answered HTTP 404 (Not Found), which no batch can change. Check outputs.sekoia.url (the intake's base URL, without /batch) and any proxy in between.`,
    );
    expect(intake.requests).toBe(1);
  });

  describe("acknowledgements", () => {
    it("does not count a 200 without event_ids as delivered, and sends the batch again", async () => {
      const output = sekoia();
      let answers = 0;
      intake.acknowledge = (jsons) =>
        ++answers <= 2 ? { status: "error" } : { event_ids: jsons.map((_, i) => `id-${i}`) };
      const events = [loginEvent(2), loginEvent(3)];
      await writeAll(output, events);
      await output.flush();
      expect(intake.batches.map((b) => b.jsons)).toEqual([0, 1, 2].map(() => events.map((e) => e.json)));
      expect(output.counters).toMatchObject({ eventsSent: 2, batchesSent: 1, retries: 2 });
      expect(JSON.parse(logLines[0]).reason).toBe(
        'HTTP 200 that does not acknowledge the batch: expected {"event_ids": [...]} with 2 ids, got {"status":"error"}',
      );
    });

    it.each([
      ["fewer ids than events", (jsons: string[]) => ({ event_ids: jsons.slice(1) }), "got 2 ids"],
      [
        "an error echoing the key",
        () => ({ status: "error", key: INTAKE_KEY }),
        'got {"status":"error","key":"[REDACTED]"}',
      ],
      ["a proxy's page", () => "<html>maintenance</html>", 'got "<html>maintenance</html>"'],
    ])("fails the flush on a 200 with %s, saying what came back", async (_, acknowledge, got) => {
      const output = sekoia({ retry: { initialDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 100 } });
      intake.acknowledge = acknowledge;
      await writeAll(output, [loginEvent(2), loginEvent(3), loginEvent(4)]);
      const error = (await output.flush().catch((e: unknown) => e)) as OutputError;
      expect(error).toBeInstanceOf(OutputError);
      expect(error.fatal).toBe(false);
      expect(error.message).toContain(
        `(last answer: HTTP 200 that does not acknowledge the batch: expected {"event_ids": [...]} with 3 ids, ${got})`,
      );
      expect(error.message).not.toContain(INTAKE_KEY);
      expect(output.counters.eventsSent).toBe(0);
      expect(intake.batches.length).toBeGreaterThan(1);
    });
  });

  it("counts a timed-out batch as possible duplicates, and waits as long again before sending it again", async () => {
    const maxDelayMs = 5_000;
    const requestTimeoutMs = 300;
    const output = sekoia({
      requestTimeoutMs,
      retry: { initialDelayMs: 1, maxDelayMs, maxElapsedMs: 60_000 },
    });
    // The intake answers long after the timeout (undici checks it about every half second) and
    // stores the batch anyway: the copy sent again is stored too.
    intake.delay(3_000, 1);
    const events = [loginEvent(2), loginEvent(3), loginEvent(4)];
    await writeAll(output, events);
    await output.flush();
    expect(intake.events).toEqual([...events, ...events].map((e) => e.json));
    expect(output.counters).toMatchObject({ eventsSent: 3, retries: 1, possibleDuplicates: 3 });
    // A lower bound only, from the moment the output gave up waiting: the first full-jitter draw
    // alone would be at most 1 ms.
    expect(intake.abandonedAt).toHaveLength(1);
    expect(intake.arrivedAt[1] - intake.abandonedAt[0]).toBeGreaterThanOrEqual(requestTimeoutMs);
  });

  describe("refused batches", () => {
    function readDeadLetters(): { reason: string; unit: string; line: number; payload: string }[] {
      return readFileSync(join(dir, "dead-letters.ndjson"), "utf8")
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l));
    }

    it("halves a batch that is too large down to one event, and keeps an event too large alone in the dead letters", async () => {
      const output = sekoia();
      const events = Array.from({ length: 12 }, (_, i) => loginEvent(i + 2, { size: i === 6 ? 3_000 : 120 }));
      // About four small events per body, far less than the lone large one.
      intake.maxBodyBytes = 700;
      await writeAll(output, events);
      await output.flush();
      await deadLetters.close();
      const tooLarge = events[6];
      expect(intake.events).toEqual(events.filter((e) => e !== tooLarge).map((e) => e.json));
      expect(intake.batches.every((b) => b.bodyBytes <= 700)).toBe(true);
      const letters = readDeadLetters();
      expect(letters.map((l) => [l.unit, l.line, l.payload])).toEqual([
        [tooLarge.origin.unit, 8, tooLarge.json],
      ]);
      expect(letters[0].reason).toMatch(
        /too large .*even on its own \(HTTP 413: <html><body>413 Request Entity Too Large/,
      );
      expect(output.counters).toMatchObject({ eventsSent: 11, deadLetters: 1 });
      // The advice to lower the batch size is given once, not at every split.
      expect(messages().filter((m) => m.includes("HTTP 413"))).toHaveLength(1);
    });

    it("splits a batch refused with 400 to find the refused events: only those go to the dead letters", async () => {
      const output = sekoia();
      const events = Array.from({ length: 20 }, (_, i) =>
        loginEvent(i + 2, { uri: i === 3 || i === 12 ? `/bad/${i}` : `/good/${i}` }),
      );
      intake.refuses = (json) => json.includes("/bad/");
      await writeAll(output, events);
      await output.flush();
      await deadLetters.close();
      const refused = [events[3], events[12]];
      expect(intake.events).toEqual(events.filter((e) => !refused.includes(e)).map((e) => e.json));
      const letters = readDeadLetters();
      expect(letters.map((l) => [l.unit, l.line, l.payload])).toEqual(
        refused.map((e) => [e.origin.unit, e.line, e.json]),
      );
      expect(letters.map((l) => l.reason)).toEqual([
        'refused by the Sekoia.io intake (HTTP 400: {"message":"jsons[0] is not a valid event"})',
        'refused by the Sekoia.io intake (HTTP 400: {"message":"jsons[0] is not a valid event"})',
      ]);
      expect(output.counters).toMatchObject({ eventsSent: 18, deadLetters: 2 });
    });

    it("still stops on a rejected key found while splitting", async () => {
      const output = sekoia();
      intake.refuses = (json) => json.includes("/bad/");
      // The whole batch is refused, the empty batch is taken, then the key is rejected.
      intake.plan = [200, 200, 401];
      await writeAll(output, [loginEvent(2, { uri: "/bad/" }), loginEvent(3)]);
      const error = (await output.flush().catch((e: unknown) => e)) as OutputError;
      expect(error.fatal).toBe(true);
      expect(error.message).toBe(KEY_REJECTED);
      expect(output.counters.deadLetters).toBe(0);
    });
  });

  it("makes the writer wait while the intake stalls, holding a bounded number of events", async () => {
    const maxBatchEvents = 4;
    const maxInFlight = 2;
    const output = sekoia({ maxBatchEvents, maxInFlight });
    intake.fallback = "stall";
    let accepted = 0;
    let blocked: Promise<void> | undefined;
    while (blocked === undefined && accepted < 1_000) {
      const result = output.write(loginEvent(accepted + 2));
      accepted++;
      if (result instanceof Promise) blocked = result;
    }
    // Two batches in flight, a third sealed and waiting: then the writer is told to wait.
    expect(accepted).toBe((maxInFlight + 1) * maxBatchEvents);
    let released = false;
    blocked!.then(() => {
      released = true;
    });
    await intake.until(() => intake.stalledCount === maxInFlight);
    await new Promise((resolve) => setImmediate(resolve));
    expect(released).toBe(false);

    intake.fallback = 200;
    intake.release();
    await blocked;
    await output.flush();
    expect(intake.events).toHaveLength(accepted);
  });

  it("rejects a waiting writer when the delivery fails, and recovers after the flush", async () => {
    const output = sekoia({ maxBatchEvents: 1, maxInFlight: 1 });
    intake.plan = ["stall"];
    output.write(loginEvent(2));
    const waiting = output.write(loginEvent(3));
    expect(waiting).toBeInstanceOf(Promise);
    await intake.until(() => intake.stalledCount === 1);
    intake.release(401);
    await expect(waiting).rejects.toThrowError(KEY_REJECTED);
    await expect(Promise.resolve(output.write(loginEvent(4)))).rejects.toThrowError(KEY_REJECTED);
    await expect(output.flush()).rejects.toThrowError(KEY_REJECTED);
    intake.fallback = 200;
    output.write(loginEvent(5));
    await output.flush();
    expect(intake.events).toEqual([loginEvent(5).json]);
  });

  it("sends through the dispatcher it is given (proxy, CA bundle)", async () => {
    const connected: string[] = [];
    const connect = buildConnector({});
    const dispatcher = new Agent({
      connect: (options, callback) => {
        connected.push(`${options.hostname}:${options.port}`);
        connect(options, callback);
      },
    });
    try {
      const output = sekoia({ dispatcher });
      output.write(loginEvent(2));
      await output.flush();
      expect(connected).toEqual([new URL(intake.url).host]);
      expect(intake.events).toEqual([loginEvent(2).json]);
    } finally {
      await dispatcher.close();
    }
  });

  describe("probe", () => {
    it("sends an empty batch, which adds no event, and says what its acknowledgement proves", async () => {
      const result = await sekoia().probe();
      expect(result).toEqual({
        ok: true,
        detail: `${intake.url}/batch answers like a Sekoia.io intake: it acknowledged an empty batch ({"event_ids": []}) without rejecting the key. An empty batch may not be checked against the key; the first events collected are what proves it.`,
      });
      expect(intake.batches).toEqual([expect.objectContaining({ intakeKey: INTAKE_KEY, jsons: [] })]);
    });

    it("fails on a 200 that is not an acknowledgement", async () => {
      intake.acknowledge = () => ({ status: "error" });
      const result = await sekoia().probe();
      expect(result).toEqual({
        ok: false,
        detail: `${intake.url}/batch does not answer like a Sekoia.io intake (HTTP 200 that does not acknowledge the batch: expected {"event_ids": [...]} with 0 ids, got {"status":"error"}), so no event sent there would count as delivered. Check outputs.sekoia.url: it is the intake's base URL, without /batch.`,
      });
    });

    it("reports a rejected key with the fix", async () => {
      intake.fallback = 401;
      const result = await sekoia().probe();
      expect(result.ok).toBe(false);
      expect(result.detail).toContain(KEY_REJECTED);
    });

    it("reports an intake that cannot be reached", async () => {
      const url = intake.url;
      await intake.close();
      intake = await FakeIntake.start();
      const result = await sekoia({ url }).probe();
      expect(result.ok).toBe(false);
      expect(result.detail).toMatch(
        /did not answer as expected \(connect ECONNREFUSED [0-9.:]+\)\. Check outputs\.sekoia\.url/,
      );
    });
  });
});
