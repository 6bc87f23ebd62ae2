import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/app/config.js";
import { createLogger } from "../../src/observability/logger.js";
import { SekoiaOutput } from "../../src/outputs/sekoia/sink.js";
import { assemble } from "../../src/app/build.js";
import { startSimulator, type Simulator } from "../../src/simulator/server/index.js";
import { FakeIntake } from "../support/intake.js";

const INTAKE_KEY = "build-test-intake-key";

describe("assemble", () => {
  let org: Simulator | undefined;
  let intake: FakeIntake | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await org?.close();
    await intake?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    org = intake = dir = undefined;
  });

  it("closes the connections it opened to Salesforce and to the intake", async () => {
    org = await startSimulator({ seed: 7, days: 1, clock: { running: false } });
    intake = await FakeIntake.start({ intakeKey: INTAKE_KEY });
    dir = mkdtempSync(join(tmpdir(), "sfevents-build-"));
    const config = parseConfig(
      {
        salesforce: { url: org.url, client_id: org.clientId, client_secret: org.clientSecret },
        outputs: { sekoia: { url: intake.url, intake_key: INTAKE_KEY } },
        state: { path: join(dir, "state.sqlite") },
        dead_letters: { path: join(dir, "dead-letters.ndjson") },
      },
      {},
    );
    // Every socket undici opens, whichever dispatcher opens it.
    const sockets: Socket[] = [];
    const onConnected = (message: unknown) => sockets.push((message as { socket: Socket }).socket);
    subscribe("undici:client:connected", onConnected);
    try {
      const app = await assemble(config, createLogger({ level: "silent" }));
      await app.client.authenticate();
      const sekoia = app.outputs.find((o) => o instanceof SekoiaOutput);
      expect((await sekoia?.probe())?.ok).toBe(true);
      // Kept alive for the next call until their dispatcher is closed.
      expect(sockets.map((s) => s.remotePort).sort()).toEqual(
        [Number(new URL(org.url).port), Number(new URL(intake.url).port)].sort(),
      );
      expect(sockets.every((s) => !s.destroyed)).toBe(true);

      await app.close();
      expect(sockets.filter((s) => !s.destroyed).map((s) => s.remotePort)).toEqual([]);
    } finally {
      unsubscribe("undici:client:connected", onConnected);
    }
  });

  it("closes what it opened when an output cannot be opened", async () => {
    dir = mkdtempSync(join(tmpdir(), "sfevents-build-"));
    // A file where the output's folder should be: the file output cannot open, after the state has.
    writeFileSync(join(dir, "not-a-folder"), "");
    const state = join(dir, "state.sqlite");
    const config = parseConfig(
      {
        salesforce: { url: "https://acme.my.salesforce.com", client_id: "id", client_secret: "secret" },
        outputs: { file: { path: join(dir, "not-a-folder", "events.ndjson") } },
        state: { path: state },
        dead_letters: { path: join(dir, "dead-letters.ndjson") },
      },
      {},
    );
    await expect(assemble(config, createLogger({ level: "silent" }))).rejects.toThrow(/not-a-folder/);
    // SQLite removes its write-ahead log when the last connection to the database closes.
    expect(existsSync(state)).toBe(true);
    expect(existsSync(`${state}-wal`)).toBe(false);
  });
});
