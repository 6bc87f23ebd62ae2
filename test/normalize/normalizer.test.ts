import { describe, expect, it } from "vitest";
import { outboundEvent } from "../support/events.js";
import { createNormalizer } from "../../src/normalize/normalizer.js";
import { ecsEncoder } from "../../src/outputs/file/ecs-encoder.js";
import type { OutboundEvent } from "../../src/outputs/output.js";
import { parsed } from "./ecs-types.js";

const header = ["EVENT_TYPE", "TIMESTAMP_DERIVED", "CLIENT_IP"];

function event(values: string[], fileId = "0AT5j00000AbCdE", eventType = "Login"): OutboundEvent {
  return outboundEvent(header, values, { fileId, eventType });
}

describe("ecsEncoder", () => {
  it("encodes each outbound event as one ECS JSON document, with the raw event as event.original", async () => {
    const encode = ecsEncoder(await createNormalizer({ includeOriginal: true }));
    const outbound = event(["Logout", "2026-11-20T09:30:15.123Z", "192.0.2.8"]);
    const doc = JSON.parse(encode(outbound));
    expect(doc).toMatchObject({
      "@timestamp": "2026-11-20T09:30:15.123Z",
      event: { dataset: "Logout", original: outbound.json },
      source: { ip: "192.0.2.8" },
    });
  });

  it("gives the same event.id as the normalizer called directly, so replay and collect agree", async () => {
    const normalizer = await createNormalizer();
    const values = ["Login", "2026-11-20T09:30:15.123Z", "192.0.2.8"];
    const viaEncoder = JSON.parse(ecsEncoder(normalizer)(event(values)));
    const direct = parsed(normalizer.forHeader(header, "Login"))(values);
    expect(viaEncoder.event.id).toBe((direct.event as { id: string }).id);
  });
});
