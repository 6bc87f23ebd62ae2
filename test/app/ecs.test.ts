import { describe, expect, it } from "vitest";
import { ecsEncoders } from "../../src/app/ecs.js";
import { ConfigError } from "../../src/config/load.js";
import { loginEvent } from "../support/events.js";

describe("the ECS encoder of a run", () => {
  it("is one for every output that asks, so an event is normalized once", async () => {
    const ecs = ecsEncoders({});
    const first = await ecs({ includeOriginal: false });
    expect(await ecs({ includeOriginal: false })).toBe(first);
    const event = loginEvent(2);
    const document = first(event);
    expect(JSON.parse(document)).toMatchObject({ event: expect.any(Object) });
    expect(event.ecs).toBe(document);
  });

  it("refuses outputs that would want different documents of the same event", async () => {
    const ecs = ecsEncoders({});
    await ecs({ includeOriginal: false });
    expect(() => ecs({ includeOriginal: true })).toThrow(ConfigError);
  });
});
