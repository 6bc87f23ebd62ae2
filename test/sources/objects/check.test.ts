import { describe, expect, it } from "vitest";
import { objectKind } from "../../../src/sources/objects/catalog.js";
import { checkObjects } from "../../../src/sources/objects/check.js";

/** A describe that answers for `readable`, refuses the rest as Salesforce does, and fails on `broken`. */
function describeApi(readable: string[], broken: string[] = []) {
  return {
    async describe(name: string) {
      if (broken.includes(name))
        throw Object.assign(new Error("SERVER_UNAVAILABLE: try later"), { status: 503 });
      if (!readable.includes(name))
        throw Object.assign(new Error(`sObject type '${name}' is not supported.`), {
          errorCode: "INVALID_TYPE",
          status: 400,
        });
      return { fields: [] };
    },
  };
}

const kinds = ["LoginEvent", "SetupAuditTrail", "LoginHistory"].map((name) => objectKind(name)!);

describe("checkObjects", () => {
  it("lists what the user can read, and for each object it cannot, what it lacks", async () => {
    const findings = await checkObjects(describeApi(["LoginEvent"]), kinds, true);
    expect(findings[0]).toEqual({ status: "ok", title: "Objects", detail: "readable: LoginEvent" });
    expect(findings.slice(1)).toEqual([
      {
        status: "fail",
        title: "SetupAuditTrail",
        detail: "this user cannot read it",
        fix: "give the Run As user the 'View Setup and Configuration' permission",
      },
      {
        status: "fail",
        title: "LoginHistory",
        detail: "this user cannot read it",
        fix: "give the Run As user the 'Manage Users' permission",
      },
    ]);
  });

  it("warns rather than fails for objects only read by default, which collect leaves out", async () => {
    const findings = await checkObjects(describeApi(["LoginEvent", "LoginHistory"]), kinds, false);
    expect(findings.map((f) => [f.title, f.status])).toEqual([
      ["Objects", "ok"],
      ["SetupAuditTrail", "warn"],
    ]);
  });

  it("reports an answer that says nothing of access as the failure it is", async () => {
    const findings = await checkObjects(describeApi([], ["LoginEvent"]), kinds.slice(0, 1), false);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ status: "fail", title: "LoginEvent" });
    expect(findings[0].detail).toContain("SERVER_UNAVAILABLE: try later");
  });
});
