import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/app/config.js";
import { ConfigError } from "../../../src/config/load.js";
import { configuredStreams } from "../../../src/sources/streams/config.js";
import { readStreamCheckpoint, rewoundStream } from "../../../src/sources/streams/checkpoint.js";

const base = {
  salesforce: { url: "https://acme.my.salesforce.com", client_id: "id", client_secret: "secret" },
  outputs: { file: { path: "out.ndjson" } },
};

describe("the streams section", () => {
  it("subscribes to every known stream by default, and collects no Event Log Files beside it", () => {
    const config = parseConfig({ ...base, streams: {} });
    expect(config.streams?.endpoint).toBe("api.pubsub.salesforce.com:7443");
    expect(config.streams?.tls).toBe(true);
    expect(configuredStreams(config.streams!).map((k) => k.topic)).toContain("/event/LoginEventStream");
    expect(configuredStreams(config.streams!).find((k) => k.name === "FileEvent")?.storage?.name).toBe(
      "FileEventStore",
    );
  });

  it("takes topics with or without /event/, in any case, and names an unknown one", () => {
    const config = parseConfig({
      ...base,
      streams: { topics: ["loginEventStream", "/event/ApiEventStream"] },
    });
    expect(configuredStreams(config.streams!).map((k) => k.topic)).toEqual([
      "/event/LoginEventStream",
      "/event/ApiEventStream",
    ]);
    expect(() => parseConfig({ ...base, streams: { topics: ["/event/LoginStream"] } })).toThrow(
      /streams\.topics.*unknown topic \/event\/LoginStream/s,
    );
    expect(() =>
      parseConfig({ ...base, streams: { endpoint: "https://api.pubsub.salesforce.com" } }),
    ).toThrow(ConfigError);
  });
});

describe("a stream's checkpoint", () => {
  it("is refused with its fix when it is not a stream position", () => {
    expect(() =>
      readStreamCheckpoint('{"through":"2026-11-20T00:00:00Z"}', "streams:LoginEventStream"),
    ).toThrow(/not a stream position.*state rewind/);
    expect(() =>
      readStreamCheckpoint('{"replayId":"AAE=","at":"2026-11-20T00:00:00Z","since":"soon"}', "s"),
    ).toThrow(/not a stream position/);
  });

  it("after a rewind, has no replay id and starts at the instant", () => {
    const checkpoint = readStreamCheckpoint(rewoundStream(new Date("2026-11-20T05:00:00Z")), "s");
    expect(checkpoint).toEqual({
      replayId: "",
      at: "2026-11-20T05:00:00.000Z",
      since: "2026-11-20T05:00:00.000Z",
    });
  });
});
