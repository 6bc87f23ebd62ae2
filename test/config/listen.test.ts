import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/app/config.js";
import { ConfigError } from "../../src/config/load.js";

const minimal = {
  salesforce: { url: "https://acme.my.salesforce.com", client_id: "id", client_secret: "secret-value" },
  outputs: { file: { path: "./out/events.ndjson" } },
};
const withListen = (listen: unknown) => parseConfig({ ...minimal, metrics: { listen } }, {});

describe("metrics.listen", () => {
  it("is off unless set", () => {
    expect(parseConfig(minimal, {}).metrics).toEqual({});
  });

  it("reads host:port, an IPv6 address in brackets, and port 0 (a free port)", () => {
    expect(withListen("127.0.0.1:9464").metrics.listen).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(withListen("0.0.0.0:0").metrics.listen).toEqual({ host: "0.0.0.0", port: 0 });
    expect(withListen("localhost:9464").metrics.listen).toEqual({ host: "localhost", port: 9464 });
    expect(withListen("[::1]:9464").metrics.listen).toEqual({ host: "::1", port: 9464 });
  });

  it.each(["9464", ":9464", "127.0.0.1", "127.0.0.1:70000", "http://127.0.0.1:9464", "127.0.0.1:port"])(
    "refuses %s, naming the key and the form expected",
    (listen) => {
      expect(() => withListen(listen)).toThrow(ConfigError);
      expect(() => withListen(listen)).toThrow(
        /metrics\.listen: expected host:port such as 127\.0\.0\.1:9464/,
      );
    },
  );

  it("refuses unknown keys under metrics", () => {
    expect(() => parseConfig({ ...minimal, metrics: { port: 9464 } }, {})).toThrow(
      /metrics: unknown key 'port'/,
    );
  });
});
