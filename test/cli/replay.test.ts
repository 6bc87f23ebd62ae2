import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eventTypeFromFileName, type ReplayOptions, replay } from "../../src/cli/replay.js";
import { MAX_RECORD_CHARS } from "../../src/csv/parser.js";
import { rowJsonEncoder } from "../../src/csv/row-json.js";

const HEADER = '"EVENT_TYPE","TIMESTAMP","USER_ID","CLIENT_IP","URI"';
const line = (n: number) =>
  `"URI","20261120093015.${String(n).padStart(3, "0")}","0055j00000AT6I${n % 10}","192.0.2.${n}","/home/${n}"`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sfevents-replay-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  let text = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

async function run(files: string[], options: Partial<ReplayOptions> = {}, stdin = new PassThrough()) {
  const stdout = capture();
  const stderr = capture();
  const deadLetter = join(dir, "dead.ndjson");
  const summary = await replay(
    files,
    { format: "raw", deadLetter, ...options },
    { stdin, stdout: stdout.stream, stderr: stderr.stream },
  );
  const letters = existsSync(deadLetter)
    ? readFileSync(deadLetter, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
    : [];
  return { summary, stdout: stdout.text(), stderr: stderr.text(), letters };
}

describe("sfevents replay", () => {
  it("prints each row as the raw JSON Sekoia.io reads, from a plain and a gzip file told apart by content", async () => {
    const csv = [HEADER, line(1), line(2)].join("\n");
    writeFileSync(join(dir, "plain.csv"), csv);
    writeFileSync(join(dir, "compressed.csv"), gzipSync(csv));
    const { summary, stdout, letters } = await run([join(dir, "plain.csv"), join(dir, "compressed.csv")]);
    const encode = rowJsonEncoder(JSON.parse(`[${HEADER}]`));
    const rows = [line(1), line(2)].map((l) => encode(JSON.parse(`[${l}]`)));
    expect(stdout).toBe(`${[...rows, ...rows].join("\n")}\n`);
    expect(summary).toMatchObject({ rows: 4, files: 2, failedFiles: 0, deadLetters: 0 });
    expect(letters).toEqual([]);
  });

  it("sends bad rows to the dead letters with file and line, and goes on with the rest", async () => {
    const huge = "x".repeat(10 * 1024 * 1024);
    const body = Buffer.concat([
      Buffer.from(
        `${HEADER}\n${line(1)}\n"URI","only three","cols"\n${line(3)}\n"URI","20261120093015.004","005","`,
      ),
      Buffer.from([0xc3, 0x28]), // invalid UTF-8
      Buffer.from(
        `","/x"\n"URI","20261120093015.005","005","192.0.2.5","${huge}"\n${line(6)}\n"URI","unterminated`,
      ),
    ]);
    const file = join(dir, "bad.csv");
    writeFileSync(file, body);
    const { summary, stdout, letters, stderr } = await run([file], { format: "ecs", eventType: "URI" });
    const docs = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(docs.map((d) => d.url.path)).toEqual(["/home/1", "/home/3", huge, "/home/6"]);
    expect(letters.map((l) => [l.unit, l.line, l.reason])).toEqual([
      [file, 3, "expected 5 columns, found 3"],
      [file, 5, "invalid UTF-8 in column CLIENT_IP"],
      [file, 8, "unterminated quoted value at the end of the file"],
    ]);
    expect(summary).toMatchObject({ rows: 4, deadLetters: 3, files: 1, failedFiles: 0 });
    expect(stderr).toContain("4 rows, 3 dead letters");
  });

  it("reports a file that cannot be read, and still replays the others", async () => {
    writeFileSync(join(dir, "ok.csv"), [HEADER, line(1)].join("\n"));
    writeFileSync(
      join(dir, "image.png"),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0xff]),
    );
    writeFileSync(join(dir, "empty.csv"), "");
    writeFileSync(join(dir, "broken.gz"), Buffer.from([0x1f, 0x8b, 1, 2, 3, 4]));
    const files = ["missing.csv", "image.png", "empty.csv", "broken.gz", "ok.csv"].map((f) => join(dir, f));
    const { summary, stderr } = await run(files);
    expect(summary).toMatchObject({ rows: 1, files: 1, failedFiles: 4 });
    expect(stderr).toContain("missing.csv: no such file");
    expect(stderr).toContain("image.png is not an Event Log File");
    expect(stderr).toContain("empty.csv is empty");
    expect(stderr).toContain("broken.gz");
  });

  it("reads standard input for '-', and waits for a slow standard output", async () => {
    const stdin = new PassThrough();
    stdin.end([HEADER, ...Array.from({ length: 500 }, (_, i) => line(i))].join("\n"));
    let written = 0;
    let drains = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk, _encoding, done) {
        written += chunk.toString().split("\n").length - 1;
        setImmediate(done);
      },
    });
    slow.on("drain", () => drains++);
    const summary = await replay(
      ["-"],
      { format: "ecs", deadLetter: join(dir, "dead.ndjson") },
      { stdin, stdout: slow, stderr: capture().stream },
    );
    expect(summary.rows).toBe(500);
    expect(written).toBe(500);
    expect(drains).toBeGreaterThan(0);
  });

  it("tells the event type from Salesforce's file names", () => {
    expect(eventTypeFromFileName("/tmp/2026-11-20_Login.csv")).toBe("Login");
    expect(eventTypeFromFileName("LightningPageView-0AT5j00000AbCdE.csv.gz")).toBe("LightningPageView");
    expect(eventTypeFromFileName("ApexCallout.csv")).toBe("ApexCallout");
    expect(eventTypeFromFileName("events.csv")).toBeUndefined();
    expect(eventTypeFromFileName("-")).toBeUndefined();
  });
});

describe("the built CLI", () => {
  const main = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

  it("replays a .gz and a plain file to ECS, and exits non-zero on a missing file", async () => {
    expect(existsSync(main), "run `npm run build` first").toBe(true);
    const csv = [HEADER, line(1), line(2)].join("\r\n");
    writeFileSync(join(dir, "2026-11-20_URI.csv"), csv);
    writeFileSync(join(dir, "URI-0AT5j00000AbCdE.csv.gz"), gzipSync(csv));
    const args = [main, "replay", "--format", "ecs", "2026-11-20_URI.csv", "URI-0AT5j00000AbCdE.csv.gz"];
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { cwd: dir });
    const docs = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(docs.map((d) => [d.event.dataset, d.source.ip])).toEqual([
      ["URI", "192.0.2.1"],
      ["URI", "192.0.2.2"],
      ["URI", "192.0.2.1"],
      ["URI", "192.0.2.2"],
    ]);
    expect(stderr).toContain("4 rows, 0 dead letters, 2 files");
    const failed = await promisify(execFile)(process.execPath, [main, "replay", "nope.csv"], {
      cwd: dir,
    }).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain("nope.csv: no such file");
  });

  const cli = (args: string[]) =>
    promisify(execFile)(process.execPath, [main, ...args], { cwd: dir }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );

  /** Reads the first chunk of the CLI's standard output, closes it, and expects exit 0 and no message. */
  async function expectQuietEndAfterFirstChunk(args: string[]) {
    const child = spawn(process.execPath, [main, ...args], { cwd: dir });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const first = await new Promise<string>((resolve) =>
      child.stdout.once("data", (c) => resolve(String(c))),
    );
    child.stdout.destroy();
    const [code] = await new Promise<[number | null]>((resolve) => child.on("close", (c) => resolve([c])));
    expect(JSON.parse(first.split("\n")[0]).URI).toBe("/home/0");
    expect(stderr).toBe("");
    expect(code).toBe(0);
  }

  it("ends quietly with 0 when its reader closes standard output, as `| head -1` does", async () => {
    // Far more than a pipe holds, so that writes are still under way when the reader goes.
    const rows = Array.from({ length: 60_000 }, (_, i) => line(i));
    writeFileSync(join(dir, "URI.csv"), [HEADER, ...rows].join("\n"));
    await expectQuietEndAfterFirstChunk(["replay", "URI.csv"]);
  });

  it("refuses an --event-type that cannot be one, saying how to find the valid ones", async () => {
    writeFileSync(join(dir, "events.csv"), [HEADER, line(1)].join("\n"));
    const typo = await cli(["replay", "--event-type", "login", "events.csv"]);
    expect(typo).toMatchObject({ code: 2, stdout: "" });
    expect(typo.stderr).toContain(
      '--event-type "login" is not an Event Log File event type; did you mean Login?',
    );
    expect(typo.stderr).toContain("SELECT EventType FROM EventLogFile");
    const junk = await cli(["replay", "--event-type", "not a type", "events.csv"]);
    expect(junk).toMatchObject({ code: 2, stdout: "" });
  });

  it("warns of an --event-type sfevents has no columns for, and replays the file", async () => {
    writeFileSync(join(dir, "events.csv"), [HEADER, line(1)].join("\n"));
    const run = await cli(["replay", "--event-type", "Dashboard", "events.csv"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      "warning: --event-type Dashboard is not one of the event types sfevents knows",
    );
    expect(run.stdout.trim().split("\n")).toHaveLength(1);
  });

  it("exits 3 when rows went to the dead letters, and counts in the singular where it is one", async () => {
    writeFileSync(join(dir, "URI.csv"), [HEADER, line(1), '"URI","only three","cols"'].join("\n"));
    const run = await cli(["replay", "--dead-letter", "dead.ndjson", "URI.csv"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe("sfevents replay: 1 row, 1 dead letter (in dead.ndjson), 1 file\n");
    expect(run.stdout.trim().split("\n")).toHaveLength(1);
  });

  // Before the reader scanned each chunk once, a line this long took minutes: the timeout is the guard.
  it("dead-letters a line or a header over the reader's limit with its size and line, and replays the rest", {
    timeout: 60_000,
  }, async () => {
    const value = "x".repeat(MAX_RECORD_CHARS);
    const huge = `"URI","20261120093015.002","005","192.0.2.2","${value}"`;
    writeFileSync(join(dir, "URI.csv.gz"), gzipSync([HEADER, line(1), huge, line(3)].join("\n")));
    const hugeHeader = `${HEADER},"${value}"`;
    writeFileSync(join(dir, "Login.csv.gz"), gzipSync([hugeHeader, line(4), line(5)].join("\r\n")));

    const { code, stdout, stderr } = await cli([
      "replay",
      "--dead-letter",
      "dead.ndjson",
      "URI.csv.gz",
      "Login.csv.gz",
    ]);
    expect(code).toBe(3);
    const encode = rowJsonEncoder(JSON.parse(`[${HEADER}]`));
    expect(stdout).toBe(`${[line(1), line(3)].map((l) => `${encode(JSON.parse(`[${l}]`))}\n`).join("")}`);
    expect(stderr).toContain("2 rows, 4 dead letters (in dead.ndjson), 2 files\n");
    const letters = readFileSync(join(dir, "dead.ndjson"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const tooLong = (record: string) => ({
      reason: `record of ${record.length} characters, longer than ${MAX_RECORD_CHARS} characters (the reader's limit)`,
      chars: record.length,
      payload: record.slice(0, 200),
    });
    const unknown = "the header on line 1 could not be read, so the columns of this row are unknown";
    expect(letters.map(({ time, ...letter }) => letter)).toEqual([
      { source: "replay", unit: "URI.csv.gz", eventType: "URI", line: 3, ...tooLong(huge) },
      { source: "replay", unit: "Login.csv.gz", eventType: "Login", line: 1, ...tooLong(hugeHeader) },
      {
        source: "replay",
        unit: "Login.csv.gz",
        eventType: "Login",
        line: 2,
        reason: unknown,
        payload: `[${line(4)}]`,
      },
      {
        source: "replay",
        unit: "Login.csv.gz",
        eventType: "Login",
        line: 3,
        reason: unknown,
        payload: `[${line(5)}]`,
      },
    ]);
  });

  describe("--threads", () => {
    const bad = '"URI","only three","cols"';
    // More bad rows than a thread may have unwritten (64): a thread reading this file ahead must wait.
    const badRows = Array.from({ length: 100 }, () => bad);
    /** Files of unequal sizes, so that threads read ahead of the one being written and lines go to disk. */
    function files(): string[] {
      const rows = (count: number, from: number) => Array.from({ length: count }, (_, i) => line(from + i));
      writeFileSync(join(dir, "URI-big.csv"), [HEADER, ...rows(30_000, 0)].join("\n"));
      writeFileSync(join(dir, "URI-small.csv"), [HEADER, line(1), bad, line(2)].join("\n"));
      writeFileSync(
        join(dir, "URI-bad.csv.gz"),
        gzipSync([HEADER, ...badRows, ...rows(20_000, 5), bad].join("\r\n")),
      );
      // Cut short: the rows before the cut are written, then the file is reported unreadable.
      const whole = gzipSync([HEADER, ...rows(8_000, 9)].join("\n"));
      writeFileSync(join(dir, "URI-cut.csv.gz"), whole.subarray(0, whole.length - 2_000));
      writeFileSync(join(dir, "URI-last.csv"), [HEADER, ...rows(12_000, 7)].join("\n"));
      return [
        "URI-big.csv",
        "URI-small.csv",
        "missing.csv",
        "URI-bad.csv.gz",
        "URI-cut.csv.gz",
        "URI-last.csv",
      ];
    }
    const deadLetters = (name: string) =>
      readFileSync(join(dir, name), "utf8")
        .trim()
        .split("\n")
        .map((l) => {
          const { time, ...letter } = JSON.parse(l);
          return letter;
        });

    it("writes the same bytes, dead letters and messages on three threads as on one, and leaves no temporary file", async () => {
      const given = files();
      // The lines of files read ahead go to TMPDIR: it must be empty again at the end.
      const spills = mkdtempSync(join(dir, "tmp-"));
      const replayOn = (threads: string) =>
        promisify(execFile)(
          process.execPath,
          [main, "replay", "--threads", threads, "--dead-letter", `dead-${threads}.ndjson`, ...given],
          { cwd: dir, env: { ...process.env, TMPDIR: spills }, maxBuffer: 64 * 1024 * 1024 },
        ).then(
          ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
          (err: { code: number; stdout: string; stderr: string }) => err,
        );
      const one = await replayOn("1");
      const three = await replayOn("3");
      expect(one.code).toBe(1);
      // Every row the summary counts is on standard output, some of the cut file's among them.
      const rows = Number(/([\d,]+) rows/.exec(one.stderr)?.[1].replaceAll(",", ""));
      expect(one.stdout.split("\n")).toHaveLength(rows + 1);
      expect(rows).toBeGreaterThan(30_000 + 2 + 20_000 + 12_000);
      expect(three.code).toBe(one.code);
      expect(three.stdout === one.stdout, "standard output differs between --threads 1 and 3").toBe(true);
      expect(three.stderr.replace("dead-3", "dead-1")).toBe(one.stderr);
      expect(one.stderr).toContain("missing.csv: no such file");
      expect(one.stderr).toContain(
        "cannot read URI-cut.csv.gz: it starts like a gzip file but is not a valid one",
      );
      expect(deadLetters("dead-3.ndjson")).toEqual(deadLetters("dead-1.ndjson"));
      expect(deadLetters("dead-1.ndjson").map((l) => [l.unit, l.line])).toEqual([
        ["URI-small.csv", 3],
        ...badRows.map((_, i) => ["URI-bad.csv.gz", 2 + i]),
        ["URI-bad.csv.gz", 20_102],
      ]);
      expect(readdirSync(spills)).toEqual([]);
    });

    it("ends quietly with 0 when its reader closes standard output while threads read ahead", async () => {
      const given = files().filter((file) => file.startsWith("URI-"));
      await expectQuietEndAfterFirstChunk(["replay", "--threads", "2", ...given]);
    });

    it("refuses a number of threads that is not a whole number of at least 1", async () => {
      writeFileSync(join(dir, "URI.csv"), [HEADER, line(1)].join("\n"));
      for (const threads of ["0", "two", "1.5"]) {
        const run = await cli(["replay", "--threads", threads, "URI.csv"]);
        expect(run.code).not.toBe(0);
        expect(run.stdout).toBe("");
        expect(run.stderr).toContain(`--threads must be a whole number of at least 1, got '${threads}'`);
      }
    });
  });
});
