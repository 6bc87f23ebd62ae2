import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../src/core/duration.js";
import { eventLogFilesOf, loadConfig, parseConfig } from "../../src/app/config.js";
import { ConfigError } from "../../src/config/load.js";

const minimal = {
  salesforce: { url: "https://acme.my.salesforce.com/", client_id: "id", client_secret: "${SF_SECRET}" },
  outputs: { file: { path: "./out/events.ndjson" } },
};

function problems(document: unknown, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(document, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("configuration", () => {
  it("fills defaults and expands ${ENV}", () => {
    const config = parseConfig(minimal, { SF_SECRET: "s3cret-value" });
    expect(config.salesforce).toMatchObject({
      url: "https://acme.my.salesforce.com",
      client_secret: "s3cret-value",
      api_version: "64.0",
    });
    // A file that names no source collects Event Log Files, with every default, as 0.1 did.
    expect(eventLogFilesOf(config)).toEqual({
      interval: "auto",
      event_types: [],
      lookback: 24 * 3_600_000,
      poll_every: 600_000,
      overlap: 3_600_000,
      concurrency: 2,
      deduplicate: true,
    });
    expect(config.outputs.file).toEqual({
      path: "./out/events.ndjson",
      format: "raw",
      include_original: false,
    });
    expect(config.state.path).toBe("./var/sfevents.sqlite");
  });

  it("names the key and the variable when an environment variable is missing", () => {
    expect(problems(minimal)).toContain(
      "salesforce.client_secret: environment variable SF_SECRET is not set",
    );
  });

  it("says once that a variable is unset or empty, without the empty value's own complaint", () => {
    for (const env of [{}, { SF_SECRET: "" }]) {
      const lines = problems(minimal, env).split("\n").slice(1);
      expect(lines).toEqual(["  - salesforce.client_secret: environment variable SF_SECRET is not set"]);
    }
  });

  it("says to quote a secret that YAML read as a number, without printing it", () => {
    const text = problems(
      {
        salesforce: { ...minimal.salesforce, client_secret: 12345678 },
        outputs: { sekoia: { intake_key: 31337 } },
      },
      {},
    );
    expect(text).toContain(
      'salesforce.client_secret: expected text, got a number: quote the value (client_secret: "…"), since YAML reads unquoted digits as a number',
    );
    expect(text).toContain(
      'outputs.sekoia.intake_key: expected text, got a number: quote the value (intake_key: "…")',
    );
    expect(text).not.toContain("12345678");
    expect(text).not.toContain("31337");
  });

  it("lists every mistake at once, each with its key and what is expected", () => {
    const text = problems(
      {
        salesforce: { url: "https://acme.my.salesforce.com", client_id: "x" },
        event_log_files: { interval: "weekly", poll_every: "ten minutes", concurency: 2 },
        outputs: {},
      },
      {},
    );
    expect(text).toContain("salesforce: set client_secret (client-credentials flow) or jwt");
    expect(text).toContain("event_log_files.interval: expected one of auto, hourly, daily, got 'weekly'");
    expect(text).toContain(
      'event_log_files.poll_every: expected a duration such as "10m", got "ten minutes"',
    );
    expect(text).toContain("event_log_files: unknown key 'concurency'");
    expect(text).toContain("outputs: configure at least one output: sekoia or file");
  });

  it("keeps the Sekoia.io request timeout within its range", () => {
    const sekoia = (request_timeout: string) => ({
      ...minimal,
      outputs: { sekoia: { intake_key: "k", request_timeout } },
    });
    expect(problems(sekoia("500ms"), { SF_SECRET: "x" })).toContain(
      "outputs.sekoia.request_timeout: expected a duration between 1s and 30m",
    );
    expect(parseConfig(sekoia("90s"), { SF_SECRET: "x" }).outputs.sekoia?.request_timeout).toBe(90_000);
  });

  it("keeps Sekoia.io batches within the intake's limits", () => {
    const sekoia = (batch: Record<string, number>) => ({
      ...minimal,
      outputs: { sekoia: { intake_key: "k", ...batch } },
    });
    const text = problems(sekoia({ max_batch_bytes: 11 * 1024 * 1024, max_batch_events: 0 }), {
      SF_SECRET: "x",
    });
    expect(text).toContain(
      "outputs.sekoia.max_batch_bytes: expected at most 10485760 (10 MiB), the intake's limit",
    );
    expect(text).toContain("outputs.sekoia.max_batch_events:");
    const config = parseConfig(sekoia({ max_batch_bytes: 1_000_000, max_batch_events: 500 }), {
      SF_SECRET: "x",
    });
    expect(config.outputs.sekoia).toMatchObject({ max_batch_bytes: 1_000_000, max_batch_events: 500 });
  });

  it("rejects a URL that is not one", () => {
    const document = { ...minimal, salesforce: { ...minimal.salesforce, url: "acme" } };
    expect(problems(document, { SF_SECRET: "x" })).toContain("salesforce.url: expected a URL");
  });

  describe("URLs that would only fail later", () => {
    const withUrls = (sf: string, intake = "https://intake.sekoia.io") => ({
      ...minimal,
      salesforce: { ...minimal.salesforce, url: sf },
      outputs: { sekoia: { url: intake, intake_key: "k" } },
    });
    const refusal = (sf: string, intake?: string) => problems(withUrls(sf, intake), { SF_SECRET: "x" });

    it("sends a browser address to the My Domain URL it stands for", () => {
      for (const [given, myDomain] of [
        ["https://acme.lightning.force.com/lightning/page/home", "https://acme.my.salesforce.com"],
        ["https://acme.my.salesforce-setup.com", "https://acme.my.salesforce.com"],
        ["https://acme--dev.sandbox.lightning.force.com", "https://acme--dev.sandbox.my.salesforce.com"],
        ["https://acme--dev.sandbox.my.salesforce-setup.com/", "https://acme--dev.sandbox.my.salesforce.com"],
      ]) {
        expect(refusal(given)).toContain(`salesforce.url: ${new URL(given).origin} is the`);
        expect(refusal(given)).toContain(`use its My Domain URL ${myDomain}`);
      }
      const sandbox = parseConfig(withUrls("https://acme--dev.sandbox.my.salesforce.com"), {
        SF_SECRET: "x",
      });
      expect(sandbox.salesforce.url).toBe("https://acme--dev.sandbox.my.salesforce.com");
    });

    it("refuses the shared login hosts as the org's URL, and keeps them for the JWT audience", () => {
      for (const host of ["login.salesforce.com", "test.salesforce.com"]) {
        expect(refusal(`https://${host}`)).toContain(
          `salesforce.url: ${host} is Salesforce's shared login host, not the org's: use the org's My Domain URL, shown in Setup > My Domain`,
        );
      }
      const jwt = {
        ...minimal,
        salesforce: {
          url: "https://acme--dev.sandbox.my.salesforce.com",
          client_id: "id",
          jwt: { username: "u@acme.com", private_key_file: "k.pem", audience: "https://test.salesforce.com" },
        },
      };
      expect(parseConfig(jwt, {}).salesforce.jwt?.audience).toBe("https://test.salesforce.com");
    });

    it("refuses a scheme other than http(s) for every URL key", () => {
      expect(refusal("file:///etc/passwd")).toContain(
        "salesforce.url: expected an https:// URL such as https://acme.my.salesforce.com, got a file: URL",
      );
      expect(refusal("https://acme.my.salesforce.com", "ftp://intake.sekoia.io")).toContain(
        "outputs.sekoia.url: expected an https:// URL",
      );
      const jwt = {
        ...minimal,
        salesforce: {
          url: "https://acme.my.salesforce.com",
          client_id: "id",
          jwt: { username: "u@acme.com", private_key_file: "k.pem", audience: "javascript:alert(1)" },
        },
      };
      expect(problems(jwt, {})).toContain("salesforce.jwt.audience: expected an https:// URL");
    });

    it("refuses plain http:// except on loopback, where the simulator and test intakes listen", () => {
      const text = refusal("http://acme.my.salesforce.com", "http://intake.sekoia.io");
      expect(text).toContain(
        "salesforce.url: http://acme.my.salesforce.com would send the client secret and access tokens in clear text: use https://",
      );
      expect(text).toContain(
        "outputs.sekoia.url: http://intake.sekoia.io would send the intake key in clear text",
      );
      for (const loopback of [
        "http://127.0.0.1:41873",
        "http://127.1.2.3",
        "http://localhost:8080",
        "http://[::1]:9",
      ]) {
        const config = parseConfig(withUrls(loopback, loopback), { SF_SECRET: "x" });
        expect([config.salesforce.url, config.outputs.sekoia?.url]).toEqual([loopback, loopback]);
      }
    });
  });

  it("keeps the state in PostgreSQL when state.postgres is given, and refuses both or a URL that is not one", () => {
    const url = "postgres://sfevents:pg-secret-value@db.example.com:5432/sfevents";
    const config = parseConfig(
      { ...minimal, state: { postgres: { url: "${PG_URL}" } } },
      { SF_SECRET: "s3cret-value", PG_URL: url },
    );
    expect(config.state).toEqual({ postgres: { url, lease: 30_000 } });
    expect(
      problems({ ...minimal, state: { path: "./state.sqlite", postgres: { url } } }, { SF_SECRET: "x" }),
    ).toContain("state: give either path (an SQLite file, one collector) or postgres");
    const notOne = problems(
      { ...minimal, state: { postgres: { url: "mysql://u:pg-secret-value@db/sfevents" } } },
      { SF_SECRET: "x" },
    );
    expect(notOne).toContain("state.postgres.url: expected a URL such as postgres://");
    expect(notOne).not.toContain("pg-secret-value");
  });

  it("collects only objects when only objects are named, and both when both are", () => {
    const objectsOnly = parseConfig({ ...minimal, objects: {} }, { SF_SECRET: "x" });
    expect(eventLogFilesOf(objectsOnly)).toBeUndefined();
    expect(objectsOnly.objects).toMatchObject({
      lookback: 86_400_000,
      poll_every: 60_000,
      lag: 60_000,
      overlap: 900_000,
    });
    const both = parseConfig(
      { ...minimal, objects: {}, event_log_files: { interval: "daily" } },
      { SF_SECRET: "x" },
    );
    expect(eventLogFilesOf(both)?.interval).toBe("daily");
  });

  it("names an object it does not know, with the ones it does", () => {
    const text = problems(
      { ...minimal, objects: { types: ["LoginEvent", "LoginEvnt"] } },
      { SF_SECRET: "x" },
    );
    expect(text).toContain("objects.types: unknown object LoginEvnt; supported: LoginEvent, LogoutEvent");
  });

  it("keeps poll_every at 1s or more, so that cycles never run back to back", () => {
    const polling = (poll_every: string) => ({ ...minimal, event_log_files: { poll_every } });
    for (const fast of ["0s", "500ms"]) {
      expect(problems(polling(fast), { SF_SECRET: "x" })).toContain(
        "event_log_files.poll_every: expected at least 1s",
      );
    }
    expect(parseConfig(polling("1s"), { SF_SECRET: "x" }).event_log_files?.poll_every).toBe(1_000);
  });

  it("reads YAML files and explains a missing file or bad YAML", () => {
    const dir = mkdtempSync(join(tmpdir(), "sfevents-config-"));
    const good = join(dir, "good.yaml");
    writeFileSync(
      good,
      "salesforce:\n  url: https://a.my.salesforce.com\n  client_id: a\n  client_secret: b\noutputs:\n  sekoia:\n    intake_key: k\n",
    );
    expect(loadConfig(good, {}).outputs.sekoia).toEqual({
      url: "https://intake.sekoia.io",
      intake_key: "k",
      retry_budget: 15 * 60_000,
      request_timeout: 2 * 60_000,
      max_batch_bytes: 9 * 1024 * 1024,
      max_batch_events: 5_000,
    });
    expect(() => loadConfig(join(dir, "missing.yaml"))).toThrow(/does not exist/);
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "salesforce: [\n");
    expect(() => loadConfig(bad)).toThrow(/is not valid YAML/);
  });

  it("parses and prints durations", () => {
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("10 minutes")).toBeUndefined();
    expect(formatDuration(5_400_000)).toBe("1h30m");
  });
});
