import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { kindOf, pubSubError } from "../../../src/salesforce/pubsub/errors.js";

const P = "sfdc.platform.eventbus.grpc.";

function serviceError(code: number, details: string, errorCode?: string): ServiceError {
  const metadata = new Metadata();
  if (errorCode !== undefined) metadata.set("error-code", errorCode);
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata });
}

describe("Pub/Sub error kinds", () => {
  it.each([
    [status.INVALID_ARGUMENT, `${P}subscription.fetch.replayid.corrupted`, "replay-refused"],
    [status.INVALID_ARGUMENT, `${P}subscription.fetch.replayid.validation.failed`, "replay-refused"],
    [status.UNAUTHENTICATED, undefined, "auth"],
    [status.UNAUTHENTICATED, `${P}service.auth.error`, "auth"],
    [status.INVALID_ARGUMENT, `${P}service.auth.headers.invalid`, "auth"],
    [status.UNAVAILABLE, undefined, "transient"],
    [status.INTERNAL, undefined, "transient"],
    [status.UNKNOWN, `${P}service.unavailable`, "transient"],
    [status.RESOURCE_EXHAUSTED, `${P}service.protection.triggered`, "transient"],
    [status.NOT_FOUND, `${P}topic.not.found`, "fatal"],
    [status.PERMISSION_DENIED, `${P}topic.meta.permission`, "fatal"],
    [status.PERMISSION_DENIED, `${P}schema.meta.permission`, "fatal"],
    [status.PERMISSION_DENIED, `${P}service.tenant.license`, "fatal"],
    [status.RESOURCE_EXHAUSTED, `${P}subscription.limit.exceeded`, "fatal"],
    [status.RESOURCE_EXHAUSTED, `${P}concurrent.client.limit.exceeded`, "fatal"],
    [status.PERMISSION_DENIED, undefined, "fatal"],
  ])("status %i with %s is %s", (code, errorCode, kind) => {
    expect(kindOf(code, errorCode)).toBe(kind);
  });

  it("keeps Salesforce's rpcId and says what to do", () => {
    const err = pubSubError(
      serviceError(
        status.RESOURCE_EXHAUSTED,
        "You have exceeded the event delivery limit for your org. rpcId: 1f0e7c2a-33b1",
        `${P}subscription.limit.exceeded`,
      ),
      "Subscribe",
      "/event/LoginEventStream",
    );
    expect(err.message).toContain("rpcId: 1f0e7c2a-33b1");
    expect(err.message).toContain("event delivery allocation");
    expect(err.code).toBe(`${P}subscription.limit.exceeded`);
    expect(err.status).toBe(status.RESOURCE_EXHAUSTED);
    expect(err.action).toBe("stop");
  });

  it.each([
    ["service.tenant.license", "Shield or the Event Monitoring add-on"],
    ["concurrent.client.limit.exceeded", "fewer sfevents instances"],
    ["topic.meta.permission", '"View Real-Time Event Monitoring Data"'],
  ])("explains %s", (code, fix) => {
    const err = pubSubError(
      serviceError(status.PERMISSION_DENIED, "no", `${P}${code}`),
      "GetTopic",
      "/event/X",
    );
    expect(err.message).toContain(fix);
  });
});
