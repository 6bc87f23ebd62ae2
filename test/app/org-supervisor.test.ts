import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collectOrgs, type RunOrg } from "../../src/app/org-supervisor.js";
import { parseCollection } from "../../src/app/orgs.js";
import { SalesforceAuthError } from "../../src/salesforce/errors.js";
import { waitFor } from "../faults/support.js";
import { tempDir } from "../integration/harness.js";
import { capturedLogger } from "../support/logger.js";

const org = (name: string, dir: string) => ({
  name,
  salesforce: {
    url: `https://${name}.my.salesforce.com`,
    client_id: `${name}-id`,
    client_secret: "${SECRET}",
  },
  outputs: { file: { path: join(dir, `${name}.ndjson`) } },
});

describe("the org supervisor", () => {
  it("tries a stopped org again after its pause, while the other org runs on untouched", async () => {
    const dir = tempDir("supervisor");
    try {
      const collection = parseCollection(
        {
          orgs: [org("acme", dir.path), org("globex", dir.path)],
          state: { path: join(dir.path, "state.sqlite") },
          dead_letters: { path: join(dir.path, "dead-letters.ndjson") },
        },
        { SECRET: "not-used-here" },
      );
      const { logger, lines } = capturedLogger("info");
      const runs = new Map<string, number>();
      const shutdown = new AbortController();
      // What collect's loop would do: globex's first run fails with an error no cycle gets past.
      const run: RunOrg = async (_app, signal, orgLogger) => {
        const name = String(orgLogger.bindings().org);
        const n = (runs.get(name) ?? 0) + 1;
        runs.set(name, n);
        if (name === "globex" && n === 1)
          throw new SalesforceAuthError("invalid_client", "invalid client credentials", "Check the secret.");
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        return 0;
      };
      const collecting = collectOrgs(collection, logger, {
        once: false,
        signal: shutdown.signal,
        run,
        retryMs: 200,
      });
      await waitFor(() => runs.get("globex") === 2, 10_000, "globex to be tried again");
      shutdown.abort();
      expect(await collecting).toBe(0);

      expect(runs.get("acme")).toBe(1);
      const said = lines()
        .filter((l) => l.org === "globex")
        .map((l) => l.msg);
      expect(said).toContain(
        "org globex stopped: Salesforce refused the access token request (invalid_client: invalid client credentials). Check the secret. The other orgs go on; globex is tried again in 200ms.",
      );
      expect(said).toContain("org globex: trying again");
      expect(lines().some((l) => l.org === "acme" && /stopped|trying again/.test(l.msg))).toBe(false);
    } finally {
      dir.remove();
    }
  });
});
