import { describe, expect, it } from "vitest";
import { eventFingerprint } from "../../src/core/identity.js";
import { outboundEvent } from "../support/events.js";
import { createNormalizer } from "../../src/normalize/normalizer.js";
import { sharedEcs } from "../../src/normalize/shared-ecs.js";
import type { SourceEvent } from "../../src/core/event.js";
import { parsed } from "./ecs-types.js";

const header = ["EVENT_TYPE", "TIMESTAMP_DERIVED", "CLIENT_IP"];

function event(values: string[], unit = "0AT5j00000AbCdE", eventType = "Login"): SourceEvent {
  return outboundEvent(header, values, { unit, eventType });
}

describe("sharedEcs", () => {
  it("encodes each event as one ECS JSON document, with the raw event as event.original", async () => {
    const encode = sharedEcs(await createNormalizer({ includeOriginal: true }));
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
    const viaEncoder = JSON.parse(sharedEcs(normalizer)(event(values)));
    const direct = parsed(normalizer.forHeader(header, "Login"))(values);
    expect(viaEncoder.event.id).toBe((direct.event as { id: string }).id);
  });

  it("normalizes an event once, however many outputs ask for its ECS form", async () => {
    const normalizer = await createNormalizer();
    let plans = 0;
    let documents = 0;
    const ecs = sharedEcs({
      ...normalizer,
      forHeader: (...args) => {
        plans++;
        const plan = normalizer.forHeader(...args);
        return (values, original) => {
          documents++;
          return plan(values, original);
        };
      },
    });
    const first = event(["Login", "2026-11-20T09:30:15.123Z", "192.0.2.8"]);
    const second = event(["Login", "2026-11-20T09:30:16.123Z", "192.0.2.9"]);
    expect(ecs(first)).toBe(ecs(first));
    expect(JSON.parse(ecs(second)).source.ip).toBe("192.0.2.9");
    // Three asks, two documents, one plan for the header the two events share.
    expect({ plans, documents }).toEqual({ plans: 1, documents: 2 });
  });

  it("gives an event.id whose first 8 bytes are the fingerprint sfevents deduplicates the row on", async () => {
    const encode = sharedEcs(await createNormalizer());
    for (const values of [
      ["Login", "2026-11-20T09:30:15.123Z", "192.0.2.8"],
      ["Logout", "2026-11-20T09:31:00.000Z", "2001:db8::1"],
    ]) {
      const outbound = event(values);
      const id: string = JSON.parse(encode(outbound)).event.id;
      expect(Buffer.from(id, "base64url").readBigInt64BE(0)).toBe(eventFingerprint(outbound.json));
    }
  });
});
