import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  collectorConfig,
  collectorEnv,
  logLines,
  THREADED_FILES,
  useFrozenOrg,
  waitFor,
} from "../faults/support.js";
import { runCli, startCli } from "./harness.js";

/** What an operator sees of the process itself: its log level, its signals, its last word. */
describe("sfevents collect, as a process", () => {
  const shared = useFrozenOrg(6, "signals", THREADED_FILES);

  it("stops on SIGHUP as on SIGTERM, and says it does not reload its configuration", async () => {
    const { org, intake } = shared;
    // URI's large file is decoded on a thread, which then waits idle: it must not hold the exit up.
    const config = collectorConfig({
      dir: shared.dir,
      org,
      intake,
      pollEvery: "1h",
      eventTypes: ["Login", "URI"],
    });
    const { child, done } = startCli(["collect", "--config", config], collectorEnv(org));
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    await waitFor(() => stderr.includes("cycle done"), 60_000, "a first cycle");
    child.kill("SIGHUP");
    const result = await done;
    expect(result.code, result.stderr.slice(-1500)).toBe(0);
    const threaded = logLines(result.stderr).filter(
      (l) => l.msg.startsWith("delivered ") && l.decodedOnThread,
    );
    expect(threaded.map((l) => l.eventType)).toEqual(["URI"]);
    const line = logLines(result.stderr).find((l) => l.msg.startsWith("SIGHUP received"));
    expect(line?.msg).toMatch(/does not reload its configuration/);
  });

  it("takes --log-level over SFEVENTS_LOG_LEVEL over log.level, and refuses a level that is not one", async () => {
    const { org, intake } = shared;
    const config = collectorConfig({ dir: join(shared.dir), org, intake, eventTypes: ["Login"] });
    const quiet = await runCli(["collect", "--once", "--config", config], {
      ...collectorEnv(org),
      SFEVENTS_LOG_LEVEL: "warn",
    });
    expect(quiet.code, quiet.stderr.slice(-1500)).toBe(0);
    expect(logLines(quiet.stderr).filter((l) => l.level === "info")).toEqual([]);
    const chatty = await runCli(["collect", "--once", "--log-level", "debug", "--config", config], {
      ...collectorEnv(org),
      SFEVENTS_LOG_LEVEL: "warn",
    });
    expect(logLines(chatty.stderr).some((l) => l.level === "debug")).toBe(true);
    const wrong = await runCli(["collect", "--once", "--config", config], {
      ...collectorEnv(org),
      SFEVENTS_LOG_LEVEL: "loud",
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('SFEVENTS_LOG_LEVEL is "loud"; expected one of trace, debug');
  });

  it("says a fatal error once", async () => {
    const { org, intake } = shared;
    const config = collectorConfig({ dir: shared.dir, org, intake, eventTypes: ["Login"] });
    const result = await runCli(["collect", "--once", "--config", config], {
      ...collectorEnv(org),
      SF_SECRET: "wrong-secret",
    });
    expect(result.code).toBe(1);
    expect(result.stderr.split("invalid_client").length - 1, result.stderr).toBe(1);
  });
});
