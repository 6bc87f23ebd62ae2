import { describe, expect, it } from "vitest";
import {
  halve,
  planWindows,
  readWindowCheckpoint,
  windowCheckpoint,
} from "../../../src/sources/objects/windows.js";

const MIN = 60_000;
const plan = { lookback: 24 * 60 * MIN, lag: MIN, overlap: 15 * MIN, window: 60 * MIN };
const now = new Date("2026-11-20T10:30:45.678Z");
const iso = (w: { from: Date; to: Date }) => `${w.from.toISOString()} ${w.to.toISOString()}`;

describe("planWindows", () => {
  it("starts a first run at the lookback and cuts the span into windows ending a lag behind now", () => {
    const { since, windows } = planWindows(undefined, now, { ...plan, lookback: 150 * MIN });
    expect(since.toISOString()).toBe("2026-11-20T08:00:45.000Z");
    expect(windows.map(iso)).toEqual([
      "2026-11-20T08:00:45.000Z 2026-11-20T09:00:45.000Z",
      "2026-11-20T09:00:45.000Z 2026-11-20T10:00:45.000Z",
      "2026-11-20T10:00:45.000Z 2026-11-20T10:29:45.000Z",
    ]);
  });

  it("reads the overlap before the checkpoint again, up to now minus the lag", () => {
    const { since, windows } = planWindows(new Date("2026-11-20T10:20:00Z"), now, plan);
    expect(since.toISOString()).toBe("2026-11-20T10:05:00.000Z");
    expect(windows.map(iso)).toEqual(["2026-11-20T10:05:00.000Z 2026-11-20T10:29:45.000Z"]);
  });

  it("starts at `start` when given, and lists nothing while the lag has not passed", () => {
    expect(
      planWindows(undefined, now, { ...plan, start: new Date("2026-11-20T10:00:00Z") }).windows,
    ).toHaveLength(1);
    expect(planWindows(new Date("2026-11-20T10:44:00Z"), now, { ...plan, overlap: 0 }).windows).toEqual([]);
  });

  it("keeps windows contiguous: each starts where the one before it ended", () => {
    const { windows } = planWindows(undefined, now, { ...plan, window: 7 * MIN });
    for (let i = 1; i < windows.length; i++) expect(windows[i].from).toEqual(windows[i - 1].to);
  });
});

describe("halve", () => {
  it("cuts a window at a whole second into two that meet, down to one second", () => {
    const window = { from: new Date("2026-11-20T10:00:00Z"), to: new Date("2026-11-20T10:00:05Z") };
    expect(halve(window)?.map(iso)).toEqual([
      "2026-11-20T10:00:00.000Z 2026-11-20T10:00:02.000Z",
      "2026-11-20T10:00:02.000Z 2026-11-20T10:00:05.000Z",
    ]);
    expect(halve({ from: window.from, to: new Date("2026-11-20T10:00:01Z") })).toBeUndefined();
  });
});

describe("the window checkpoint", () => {
  it("round-trips, and a value that is not one is a damaged state, said so", () => {
    const to = new Date("2026-11-20T10:29:45.000Z");
    expect(readWindowCheckpoint(windowCheckpoint({ from: new Date(0), to }), "objects:LoginEvent")).toEqual(
      to,
    );
    expect(() => readWindowCheckpoint('{"createdDate":"x"}', "objects:LoginEvent")).toThrow(
      /checkpoint of objects:LoginEvent in the state is not an object window/,
    );
  });
});
