import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/app/config.js";
import { orgFileNames, parseCollection, readOrgFile } from "../../src/app/orgs.js";
import { ConfigError } from "../../src/config/load.js";

const salesforce = (host: string) => ({
  url: `https://${host}.my.salesforce.com`,
  client_id: `${host}-id`,
  client_secret: `\${${host.toUpperCase()}_SECRET}`,
});
const env = { ACME_SECRET: "acme-secret-value", GLOBEX_SECRET: "globex-secret-value" };

function problems(document: unknown, environment: NodeJS.ProcessEnv = env): string {
  try {
    parseCollection(document, environment, "sfevents.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("several orgs in one configuration", () => {
  it("reads a single-org file as today: one org without a name, the same config", () => {
    const document = { salesforce: salesforce("acme"), outputs: { file: { path: "./out.ndjson" } } };
    const collection = parseCollection(document, env);
    expect(collection.multi).toBe(false);
    expect(collection.orgs).toHaveLength(1);
    expect(collection.orgs[0].name).toBeUndefined();
    expect(collection.orgs[0].config).toEqual(parseConfig(document, env));
  });

  it("merges each org over the defaults, section by section, the org's own keys winning", () => {
    const collection = parseCollection(
      {
        defaults: {
          event_log_files: { interval: "hourly", poll_every: "5m" },
          outputs: { sekoia: { url: "https://intake.sekoia.io", intake_key: "default-intake-key" } },
        },
        orgs: [
          {
            name: "acme",
            salesforce: salesforce("acme"),
            outputs: { sekoia: { intake_key: "acme-intake-key" } },
          },
          {
            name: "globex",
            salesforce: salesforce("globex"),
            event_log_files: { poll_every: "1m" },
            objects: { types: ["LoginEvent"] },
          },
        ],
        state: { path: "./var/shared.sqlite" },
      },
      env,
    );
    expect(collection.multi).toBe(true);
    const [acme, globex] = collection.orgs;
    expect(acme.name).toBe("acme");
    expect(acme.config.outputs.sekoia).toMatchObject({
      url: "https://intake.sekoia.io",
      intake_key: "acme-intake-key",
    });
    expect(acme.config.event_log_files).toMatchObject({ interval: "hourly", poll_every: 300_000 });
    expect(globex.config.outputs.sekoia?.intake_key).toBe("default-intake-key");
    expect(globex.config.event_log_files).toMatchObject({ interval: "hourly", poll_every: 60_000 });
    expect(globex.config.objects?.types).toEqual(["LoginEvent"]);
    expect(globex.config.salesforce.client_secret).toBe("globex-secret-value");
    // The process's sections are the top of the file's, for every org.
    for (const org of collection.orgs) expect(org.config.state).toEqual({ path: "./var/shared.sqlite" });
  });

  it("names each mistake's place: the org's entry, or defaults when the key came from there", () => {
    const message = problems({
      defaults: { outputs: { sekoia: { url: "not a url", intake_key: "k-123456" } } },
      orgs: [
        { name: "acme", salesforce: salesforce("acme") },
        { name: "globex", salesforce: { ...salesforce("globex"), url: "globex.example.com" } },
        { name: "acme", salesforce: salesforce("acme"), state: { path: "x" } },
        { name: "Bad Name", salesforce: { client_id: "x", client_secret: "${GONE}" } },
      ],
    });
    expect(message).toMatch(/^sfevents\.yaml is not valid:/);
    expect(message).toContain("  - orgs[1].salesforce.url: ");
    expect(message).toContain("  - orgs[2].name: acme is already the name of orgs[0]");
    expect(message).toContain(
      "  - orgs[2].state: is set once for every org, at the top of the configuration file",
    );
    expect(message).toContain("  - orgs[3].name: expected lowercase letters, digits, - and _");
    expect(message).toContain("  - orgs[3].salesforce.url: is required");
    expect(message).toContain("  - orgs[3].salesforce.client_secret: environment variable GONE is not set");
    // Inherited by all four orgs, said once, where it is written.
    expect(message.match(/ {2}- defaults\.outputs\.sekoia\.url: /g)).toHaveLength(1);
  });

  it("refuses an org's settings at the top of a file that lists orgs, and a list with no org", () => {
    const message = problems({ salesforce: salesforce("acme"), orgs: [] });
    expect(message).toContain(
      "  - salesforce: with orgs or orgs_dir, an org's settings go in its entry (or under defaults, for every org)",
    );
    expect(message).toContain("  - orgs: list at least one org, or set orgs_dir");
    expect(problems({ orgs: [{ salesforce: salesforce("acme") }] })).toContain(
      "  - orgs[0].name: is required",
    );
  });

  describe("orgs_dir", () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "sfevents-orgs-dir-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const collection = () =>
      parseCollection({ defaults: { outputs: { file: { path: "./out.ndjson" } } }, orgs_dir: dir }, env);

    it("reads one org per YAML file, named after the file unless it says its name", () => {
      writeFileSync(
        join(dir, "acme.yaml"),
        `salesforce: { url: https://acme.my.salesforce.com, client_id: a, client_secret: "\${ACME_SECRET}" }\n`,
      );
      writeFileSync(
        join(dir, "b.yml"),
        `name: globex\nsalesforce: { url: https://globex.my.salesforce.com, client_id: g, client_secret: x }\n`,
      );
      writeFileSync(join(dir, "notes.txt"), "not an org");
      expect(orgFileNames(dir)).toEqual(["acme.yaml", "b.yml"]);
      const acme = readOrgFile(collection(), dir, "acme.yaml", env);
      expect(acme?.org?.name).toBe("acme");
      expect(acme?.org?.from).toBe(join(dir, "acme.yaml"));
      expect(acme?.org?.config.salesforce.client_secret).toBe("acme-secret-value");
      expect(acme?.org?.config.outputs.file?.path).toBe("./out.ndjson");
      expect(readOrgFile(collection(), dir, "b.yml", env)?.org?.name).toBe("globex");
      expect(orgFileNames(join(dir, "absent"))).toEqual([]);
    });

    it("says what is wrong with a file, naming the file and the key", () => {
      writeFileSync(
        join(dir, "globex.yaml"),
        "salesforce: { url: https://globex.my.salesforce.com }\nstate: { path: x }\n",
      );
      writeFileSync(
        join(dir, "Bad.yaml"),
        "salesforce: { url: https://bad.my.salesforce.com, client_id: b, client_secret: x }\n",
      );
      writeFileSync(join(dir, "broken.yaml"), "salesforce: [\n");
      const globex = readOrgFile(collection(), dir, "globex.yaml", env);
      expect(globex?.org).toBeUndefined();
      expect(globex?.problem).toContain(`${join(dir, "globex.yaml")} is not valid:`);
      expect(globex?.problem).toContain("  - salesforce.client_id: is required");
      expect(globex?.problem).toContain("  - state: is set once for every org");
      expect(readOrgFile(collection(), dir, "Bad.yaml", env)?.problem).toContain(
        "  - name: expected lowercase letters, digits, - and _ (at most 63) (the file name without its extension, unless the file sets name)",
      );
      expect(readOrgFile(collection(), dir, "broken.yaml", env)?.problem).toContain(
        `${join(dir, "broken.yaml")} is not valid YAML`,
      );
    });
  });
});
