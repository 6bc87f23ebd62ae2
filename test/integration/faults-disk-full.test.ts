import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  collectorConfig,
  collectorEnv,
  deliveredFiles,
  expectedRows,
  logLines,
  useFrozenOrg,
} from "../faults/support.js";
import { readNdjson, runCli } from "./harness.js";

/**
 * The output (ECS with the raw row kept, about 8 MiB for this org's LightningPageView files) is
 * three times the size of the state database and its WAL (under 3 MiB): only the output reaches
 * the limit, half-way through the run.
 */
const FILE_SIZE_KIB = 4 * 1024;
const EVENT_TYPES = ["LightningPageView"];

/** The raw event of each line (ECS keeps it in event.original), and the lines that are not JSON. */
function readEvents(path: string): { events: string[]; unreadable: string[] } {
  const events: string[] = [];
  const unreadable: string[] = [];
  for (const line of readNdjson(path)) {
    try {
      const document = JSON.parse(line) as { event: { original: string } };
      events.push(JSON.stringify(JSON.parse(document.event.original)));
    } catch {
      unreadable.push(line);
    }
  }
  return { events, unreadable };
}

/**
 * The disk under the file output fills up mid-run (a file size limit: write(2) then writes part of
 * a chunk and fails with EFBIG, as it fails with ENOSPC on a full disk). The run must fail naming
 * the file output and leave the file whole lines; once there is room again, the next run must
 * deliver every row, the file must be valid NDJSON, and only the files in flight may repeat rows.
 */
describe("a full disk under the file output", () => {
  const shared = useFrozenOrg(13, "faults-disk-full");

  it("fails the run without acknowledging unwritten rows; the next run loses nothing", async () => {
    const { org, dir } = shared;
    const outFile = join(dir, "out", "events.ndjson");
    const statePath = join(dir, "state.sqlite");
    const config = collectorConfig({
      dir,
      org,
      outFile,
      outFileSettings: { format: "ecs", include_original: true },
      eventTypes: EVENT_TYPES,
    });
    const env = collectorEnv(org);

    const full = await runCli(["collect", "--once", "--config", config], env, {
      fileSizeKib: FILE_SIZE_KIB,
    });
    expect(full.code, full.stderr.slice(-1500)).toBe(1);
    const errors = logLines(full.stderr).filter((l) => l.level === "error");
    expect(errors.length, full.stderr.slice(-1500)).toBeGreaterThan(0);
    for (const line of errors) {
      expect(line.msg).toContain(
        `The file output could not write to ${outFile}: file too large (EFBIG). The files in flight will be delivered again on the next cycle.`,
      );
    }
    // The limit was reached by the output, and what the failed write had put there was cut.
    expect(statSync(outFile).size).toBeGreaterThan((FILE_SIZE_KIB - 1024) * 1024);
    expect(readFileSync(outFile, "utf8").endsWith("\n")).toBe(true);
    const deliveredBefore = deliveredFiles(statePath);
    expect(deliveredBefore.size).toBeGreaterThan(0);

    const truth = await expectedRows(org, EVENT_TYPES);
    const inFlight = new Set(
      readEvents(outFile)
        .events.map((json) => truth.fileOf(json))
        .filter((file): file is string => file !== undefined && !deliveredBefore.has(file)),
    );

    const freed = await runCli(["collect", "--once", "--config", config], env);
    expect(freed.code, freed.stderr.slice(-1500)).toBe(0);

    const { events, unreadable } = readEvents(outFile);
    expect(unreadable.map((line) => line.slice(0, 120))).toEqual([]);
    const extra = truth.expectAllAtLeastOnce(events);
    // A row sent twice belongs to a file whose delivery the full disk interrupted.
    const repeatedOutsideFlight = [...extra.keys()].filter(
      (json) => ![...(truth.files.get(json) ?? [])].some((file) => inFlight.has(file)),
    );
    expect(repeatedOutsideFlight.slice(0, 3)).toEqual([]);
    console.log(
      `disk full: ${deliveredBefore.size} file(s) delivered before the disk filled, ${inFlight.size} in flight, ` +
        `${[...extra.values()].reduce((a, b) => a + b, 0)} row(s) sent twice of ${events.length}`,
    );
  });
});
