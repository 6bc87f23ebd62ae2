import { count } from "../../src/observability/count.js";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_RECORD_CHARS } from "../../src/csv/parser.js";
import { type FakeLogFile, FakeOrg } from "../support/org.js";
import { expectNoStackTrace, logLines } from "../faults/support.js";
import { readNdjson, runCli, tally, tempDir, writeConfig } from "./harness.js";

/**
 * Case 5: bad input. The CSV cases are served by a purpose-built test double (test/support/org.ts):
 * neither a real org nor the simulator can be made to write malformed rows or a header that disagrees
 * with LogFileFieldNames, and those are exactly what the collector must survive. Each problem must
 * get a clear message naming it, never a stack trace as the only explanation, and no row that could
 * be read may be lost: the bad ones go to the dead letters with their file and line.
 */

const MALFORMED = "0ATfake0000000001";
const REORDERED = "0ATfake0000000002";
const EMPTY = "0ATfake0000000003";
const HEADER_ONLY = "0ATfake0000000004";
const DRIFTED = "0ATfake0000000005";

const q = (...values: string[]) => values.map((v) => `"${v.replace(/"/g, '""')}"`).join(",");

/** The malformed file, line by line: good rows among one row of each kind the reader refuses. */
const MALFORMED_LINES: { text: string | Buffer; bad?: string }[] = [
  { text: `${q("EVENT_TYPE", "TIMESTAMP", "REQUEST_ID", "URI")}\n` },
  { text: `${q("URI", "20261120100000.000", "r1", "/home")}\n` },
  { text: `${q("URI", "20261120100001.000", "r2")}\n`, bad: "expected 4 columns, found 3" },
  { text: `${q("URI", "20261120100002.000", "r3", 'a "quoted"\nline break')}\n` }, // lines 4-5
  { text: `${q("URI", "20261120100003.000", "r4", "/b", "extra")}\n`, bad: "expected 4 columns, found 5" },
  { text: `URI,20261120100004.000,r"5,/c\n`, bad: "a quote inside an unquoted value" },
  { text: `"URI"x,"20261120100005.000","r6","/d"\n`, bad: "characters after a closing quote" },
  {
    text: Buffer.concat([
      Buffer.from(`${q("URI", "20261120100006.000", "r7")},"/`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(`"\n`),
    ]),
    bad: "invalid UTF-8 in column URI",
  },
  { text: `${q("URI", "20261120100007.000", "r8", "/crlf")}\r\n` },
  {
    text: `"URI","20261120100008.000","r9","/never closed\n`,
    bad: "unterminated quoted value at the end of the file",
  },
];

const FILES: FakeLogFile[] = [
  {
    id: MALFORMED,
    eventType: "URI",
    fieldNames: "EVENT_TYPE,TIMESTAMP,REQUEST_ID,URI",
    body: Buffer.concat(MALFORMED_LINES.map((l) => Buffer.from(l.text))),
  },
  {
    id: REORDERED,
    eventType: "Login",
    fieldNames: "EVENT_TYPE,TIMESTAMP,USER_ID",
    body: `${q("TIMESTAMP", "EVENT_TYPE", "USER_ID")}\n${q("20261120100000.000", "Login", "005A")}\n`,
  },
  { id: EMPTY, eventType: "Logout", fieldNames: "EVENT_TYPE,TIMESTAMP", body: "" },
  {
    id: HEADER_ONLY,
    eventType: "Logout",
    fieldNames: "EVENT_TYPE,TIMESTAMP",
    body: `${q("EVENT_TYPE", "TIMESTAMP")}\n`,
  },
  {
    id: DRIFTED,
    eventType: "API",
    fieldNames: "EVENT_TYPE,TIMESTAMP,USER_ID",
    body: `${q("EVENT_TYPE", "TIMESTAMP", "USER_ID", "NEW_COLUMN")}\n${q("API", "20261120100000.000", "005B", "new")}\n`,
  },
];

/** The events the readable rows must become: keys the CSV header, values as written. */
const EXPECTED = [
  { EVENT_TYPE: "URI", TIMESTAMP: "20261120100000.000", REQUEST_ID: "r1", URI: "/home" },
  { EVENT_TYPE: "URI", TIMESTAMP: "20261120100002.000", REQUEST_ID: "r3", URI: 'a "quoted"\nline break' },
  { EVENT_TYPE: "URI", TIMESTAMP: "20261120100007.000", REQUEST_ID: "r8", URI: "/crlf" },
  { TIMESTAMP: "20261120100000.000", EVENT_TYPE: "Login", USER_ID: "005A" },
  { EVENT_TYPE: "API", TIMESTAMP: "20261120100000.000", USER_ID: "005B", NEW_COLUMN: "new" },
].map((e) => JSON.stringify(e));

/** Where each refused row of the malformed file starts, counting the quoted line break of row 4. */
function badLines(): { line: number; reason: string }[] {
  const out: { line: number; reason: string }[] = [];
  let line = 1;
  for (const l of MALFORMED_LINES) {
    if (l.bad) out.push({ line, reason: l.bad });
    line += (l.text.toString("latin1").match(/\n/g) ?? []).length;
  }
  return out;
}

type Section = Record<string, unknown>;
interface ConfigDocument {
  salesforce: Section;
  event_log_files: Section;
  outputs: { file?: Section; sekoia?: Section };
  state: Section;
  dead_letters: Section;
}

describe("bad input", () => {
  let org: FakeOrg;
  let dir: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    org = await FakeOrg.start({ logFiles: FILES });
    dir = tempDir("faults-bad-input");
  });
  afterAll(async () => {
    await org?.close();
    dir?.remove();
  });

  /** A valid configuration against the fake org, in its own folder, with `change` applied. */
  function config(
    name: string,
    change: (c: ConfigDocument) => void = () => {},
  ): { path: string; folder: string } {
    const folder = join(dir.path, name);
    mkdirSync(folder, { recursive: true });
    const document: ConfigDocument = {
      salesforce: { url: org.url, client_id: org.clientId, client_secret: "${SF_SECRET}" },
      event_log_files: { start: "2026-11-01T00:00:00Z" },
      outputs: { file: { path: join(folder, "out", "events.ndjson") } },
      state: { path: join(folder, "state.sqlite") },
      dead_letters: { path: join(folder, "dead-letters.ndjson") },
    };
    change(document);
    return { path: writeConfig(folder, document), folder };
  }
  const collect = (path: string) =>
    runCli(["collect", "--once", "--config", path], {
      SF_SECRET: org.clientSecret,
      SFEVENTS_LOG_LEVEL: "info",
    });

  it("delivers every readable row, dead-letters each bad one with its file and line, and says so", async () => {
    const { path, folder } = config("csv");
    const run = await collect(path);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expectNoStackTrace(run.stderr);
    expect(tally(readNdjson(join(folder, "out", "events.ndjson")))).toEqual(tally(EXPECTED));

    const letters = readNdjson(join(folder, "dead-letters.ndjson")).map(
      (l) => JSON.parse(l) as { unit: string; line: number; reason: string; payload: string },
    );
    expect(letters.map(({ unit, line, reason }) => ({ unit, line, reason }))).toEqual(
      badLines().map((b) => ({ unit: MALFORMED, ...b })),
    );
    expect(letters.every((l) => l.payload.length > 0)).toBe(true);

    const warnings = logLines(run.stderr).filter((l) => l.level === "warn");
    const differs = warnings.filter((w) => w.msg.includes("the CSV header differs from LogFileFieldNames"));
    expect(differs.map((w) => w.fileId).sort()).toEqual([REORDERED, DRIFTED]);
    const summary = logLines(run.stderr).find((l) => l.msg.startsWith("cycle done"));
    expect(summary?.msg).toContain(`${count(badLines().length, "row")} in the dead letters`);
    expect(summary?.delivered).toBe(FILES.length); // the empty and header-only files too

    const again = await collect(path);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("found 0 new hourly Event Log Files");
  });

  const MISTAKES: {
    what: string;
    change: (c: ConfigDocument) => void;
    says: string[];
    /** What must not appear: a redundant line, or a secret. */
    never?: string[];
  }[] = [
    { what: "a missing required key", change: (c) => delete c.salesforce.url, says: ["salesforce.url"] },
    {
      what: "a value outside its choices",
      change: (c) => (c.event_log_files.interval = "weekly"),
      says: ["event_log_files.interval", "weekly"],
    },
    {
      what: "a value of the wrong type",
      change: (c) => (c.event_log_files.concurrency = "two"),
      says: ["event_log_files.concurrency"],
    },
    {
      what: "a duration that is not one",
      change: (c) => (c.event_log_files.poll_every = "10 minutes"),
      says: ["event_log_files.poll_every", "10 minutes"],
    },
    {
      what: "a date that is not one",
      change: (c) => (c.event_log_files.start = "yesterday"),
      says: ["event_log_files.start"],
    },
    { what: "a misspelt key", change: (c) => (c.outputs.file!.pth = "x"), says: ["pth"] },
    { what: "no output", change: (c) => (c.outputs = {}), says: ["outputs", "sekoia or file"] },
    {
      what: "both a client secret and a JWT key",
      change: (c) => (c.salesforce.jwt = { username: "u@example.com", private_key_file: "k.pem" }),
      says: ["salesforce", "not both"],
    },
    {
      what: "an environment variable that is not set",
      change: (c) => (c.salesforce.client_secret = "${SFEVENTS_TEST_UNSET_VARIABLE}"),
      says: ["SFEVENTS_TEST_UNSET_VARIABLE"],
      never: ["String must contain"],
    },
    {
      what: "a client secret YAML reads as a number",
      change: (c) => (c.salesforce.client_secret = 12345678),
      says: ["salesforce.client_secret", "quote the value"],
      never: ["12345678"],
    },
    {
      what: "a URL that is a file",
      change: (c) => (c.salesforce.url = "file:///etc/passwd"),
      says: ["salesforce.url", "expected an https:// URL"],
      never: ["Invalid URL protocol"],
    },
    {
      what: "the Lightning address instead of My Domain",
      change: (c) => (c.salesforce.url = "https://acme--dev.sandbox.lightning.force.com"),
      says: ["salesforce.url", "https://acme--dev.sandbox.my.salesforce.com"],
    },
    {
      what: "an intake reached over plain http",
      change: (c) => (c.outputs.sekoia = { url: "http://intake.sekoia.io", intake_key: "k" }),
      says: ["outputs.sekoia.url", "clear text"],
    },
    {
      what: "a poll interval of zero",
      change: (c) => (c.event_log_files.poll_every = "0s"),
      says: ["event_log_files.poll_every", "at least 1s"],
    },
    {
      what: "a JWT key file that does not exist",
      change: (c) => {
        delete c.salesforce.client_secret;
        c.salesforce.jwt = { username: "u@example.com", private_key_file: "/nonexistent/sfevents.key" };
      },
      says: ["salesforce.jwt.private_key_file", "/nonexistent/sfevents.key"],
    },
  ];
  for (const mistake of MISTAKES) {
    it(`a config with ${mistake.what}: exit code 1 and a message naming it`, async () => {
      const { path } = config(mistake.what.replace(/\W+/g, "-"), mistake.change);
      const run = await collect(path);
      expect(run.code).toBe(1);
      for (const text of mistake.says) expect(run.stderr).toContain(text);
      for (const text of mistake.never ?? []) expect(run.stderr).not.toContain(text);
      expectNoStackTrace(run.stderr);
    });
  }

  it("a config file that is not YAML, or is missing: exit code 1 and a message naming the file", async () => {
    const { path } = config("yaml");
    writeFileSync(path, "salesforce: [unclosed\n");
    const bad = await collect(path);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(path);
    expect(bad.stderr).toContain("not valid YAML");
    expectNoStackTrace(bad.stderr);

    const missing = await collect(join(dir.path, "nowhere.yaml"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(join(dir.path, "nowhere.yaml"));
    expectNoStackTrace(missing.stderr);
  });

  it("a state database full of garbage, or a directory: exit code 1 and a message naming it", async () => {
    const garbage = config("state-garbage");
    const statePath = join(garbage.folder, "state.sqlite");
    writeFileSync(statePath, Buffer.alloc(8192, "not an sqlite database "));
    const run = await collect(garbage.path);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(statePath);
    expect(run.stderr).toContain("not an SQLite database");
    expectNoStackTrace(run.stderr);
    expect(readNdjson(join(garbage.folder, "out", "events.ndjson"))).toEqual([]);

    const directory = config("state-directory");
    mkdirSync(join(directory.folder, "state.sqlite"));
    const dirRun = await collect(directory.path);
    expect(dirRun.code).toBe(1);
    expect(dirRun.stderr).toContain("is a directory");
    expectNoStackTrace(dirRun.stderr);
  });

  it("an output or dead-letter path that cannot be written: exit code 1 and a message naming it", async () => {
    // A path under a regular file cannot be created by anyone, root included.
    const output = config(
      "output-unwritable",
      (c) => (c.outputs.file!.path = join(dir.path, "a-file", "events.ndjson")),
    );
    writeFileSync(join(dir.path, "a-file"), "");
    const run = await collect(output.path);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(join(dir.path, "a-file", "events.ndjson"));
    expect(run.stderr).toContain("outputs.file.path");
    expectNoStackTrace(run.stderr);

    const letters = config(
      "dead-letters-unwritable",
      (c) => (c.dead_letters.path = join(dir.path, "a-file", "dl.ndjson")),
    );
    const lettersRun = await collect(letters.path);
    expect(lettersRun.code).toBe(1);
    expect(lettersRun.stderr).toContain(join(dir.path, "a-file", "dl.ndjson"));
    expect(lettersRun.stderr).toContain("dead_letters.path");
    expectNoStackTrace(lettersRun.stderr);
  });
});

/** A collector of the fake org into events.ndjson, with its state and dead letters beside it. */
function fakeOrgConfig(dir: string, org: FakeOrg): string {
  return writeConfig(dir, {
    salesforce: { url: org.url, client_id: org.clientId, client_secret: "${SF_SECRET}" },
    event_log_files: { start: "2026-11-01T00:00:00Z" },
    outputs: { file: { path: join(dir, "events.ndjson") } },
    state: { path: join(dir, "state.sqlite") },
    dead_letters: { path: join(dir, "dead-letters.ndjson") },
  });
}

describe("records too long to hold", () => {
  const LONG_ROW = "0ATfake0000000006";
  const LONG_HEADER = "0ATfake0000000007";
  const value = "x".repeat(MAX_RECORD_CHARS);
  const header = q("EVENT_TYPE", "TIMESTAMP", "URI");
  const row = (n: number) => q("URI", `2026112010000${n}.000`, `/page/${n}`);
  const longRow = q("URI", "20261120100002.000", value);
  const longHeader = `${header},${q(value)}`;
  let org: FakeOrg;
  let dir: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    org = await FakeOrg.start({
      logFiles: [
        {
          id: LONG_ROW,
          eventType: "URI",
          fieldNames: "EVENT_TYPE,TIMESTAMP,URI",
          body: `${header}\n${row(1)}\n${longRow}\n${row(3)}\n`,
        },
        {
          id: LONG_HEADER,
          eventType: "URI",
          fieldNames: "EVENT_TYPE,TIMESTAMP,URI",
          body: `${longHeader}\n${row(4)}\n`,
        },
      ],
    });
    dir = tempDir("faults-long-records");
  });
  afterAll(async () => {
    await org?.close();
    dir?.remove();
  });

  // Before the reader scanned each chunk once, one such record took minutes: the timeout is the guard.
  it("dead-letters each with its length, line and start, delivers the other rows, and is done with both files", {
    timeout: 60_000,
  }, async () => {
    const path = fakeOrgConfig(dir.path, org);
    const collect = () => runCli(["collect", "--once", "--config", path], { SF_SECRET: org.clientSecret });
    const run = await collect();
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const events = readNdjson(join(dir.path, "events.ndjson")).map((e) => JSON.parse(e).URI);
    expect(events).toEqual(["/page/1", "/page/3"]);
    const tooLong = (record: string) => ({
      reason: `record of ${record.length} characters, longer than ${MAX_RECORD_CHARS} characters (the reader's limit)`,
      chars: record.length,
      payload: record.slice(0, 200),
    });
    const letters = readNdjson(join(dir.path, "dead-letters.ndjson")).map((l) => {
      const { time, eventType, ...letter } = JSON.parse(l);
      return letter;
    });
    expect(letters).toEqual([
      { source: "event_log_files:hourly", unit: LONG_ROW, line: 3, ...tooLong(longRow) },
      { source: "event_log_files:hourly", unit: LONG_HEADER, line: 1, ...tooLong(longHeader) },
      {
        source: "event_log_files:hourly",
        unit: LONG_HEADER,
        line: 2,
        reason: "the header on line 1 could not be read, so the columns of this row are unknown",
        payload: `[${row(4)}]`,
      },
    ]);
    const again = await collect();
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("found 0 new hourly Event Log Files");
  });
});

describe("a header that repeats a column", () => {
  let org: FakeOrg;
  let dir: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    org = await FakeOrg.start({
      logFiles: [
        {
          id: "0ATfake0000000008",
          eventType: "URI",
          fieldNames: "EVENT_TYPE,URI,URI",
          body: `${q("EVENT_TYPE", "URI", "URI")}\n${q("URI", "/first", "/second")}\n`,
        },
      ],
    });
    dir = tempDir("faults-repeated-column");
  });
  afterAll(async () => {
    await org?.close();
    dir?.remove();
  });

  it("keeps both values, the second under a suffixed name, and says so", async () => {
    const path = fakeOrgConfig(dir.path, org);
    const run = await runCli(["collect", "--once", "--config", path], { SF_SECRET: org.clientSecret });
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(readNdjson(join(dir.path, "events.ndjson")).map((e) => JSON.parse(e))).toEqual([
      { EVENT_TYPE: "URI", URI: "/first", URI_2: "/second" },
    ]);
    const warnings = logLines(run.stderr).filter((l) => l.level === "warn");
    expect(warnings.map((l) => l.msg)).toEqual([expect.stringMatching(/repeats URI; every value is kept/)]);
  });
});
