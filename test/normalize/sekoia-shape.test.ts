import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { recordFields } from "../../src/normalize/record-plan.js";
import { sekoiaShape } from "../../src/normalize/sekoia-shape.js";
import { parseSalesforceTime } from "../../src/normalize/timestamp.js";
import { OBJECT_KINDS } from "../../src/sources/objects/catalog.js";
import { sekoiaExtracted } from "./sekoia-rules.js";

type SalesforceRecord = Record<string, unknown>;

function sample(object: string): SalesforceRecord {
  return JSON.parse(readFileSync(new URL(`./fixtures/objects/${object}.json`, import.meta.url), "utf8"));
}

/** A value as the shape may write it: date-times as the same instant in ISO 8601 UTC. */
function same(value: unknown): unknown {
  return typeof value === "string" && /^\d{4}-\d\d-\d\dT/.test(value) ? parseSalesforceTime(value) : value;
}

/** How many of a record's fields Sekoia.io's format extracts, sent as it is and re-keyed. */
function measure(object: string): { fields: number; raw: number; shaped: number } {
  const record = sample(object);
  const [names] = recordFields(record);
  const count = (event: SalesforceRecord) =>
    [...sekoiaExtracted(event).keys()].filter((key) => key !== "EVENT_TYPE" && !key.startsWith("(")).length;
  return {
    fields: names.filter((n) => n !== "sobject").length,
    raw: count(record),
    shaped: count(JSON.parse(sekoiaShape(object, record))),
  };
}

/** The figures docs/mapping.md gives, by object. */
function documentedFigures(): Map<string, { fields: number; raw: number; shaped: number }> {
  const doc = readFileSync(new URL("../../docs/mapping.md", import.meta.url), "utf8");
  const table = doc.split("<!-- sekoia-objects:start -->")[1].split("<!-- sekoia-objects:end -->")[0];
  const rows = table.split("\n").filter((line) => /^\| [A-Z]/.test(line) && !line.startsWith("| Object"));
  return new Map(
    rows.map((line) => {
      const [object, fields, raw, shaped] = line
        .split("|")
        .slice(1, 5)
        .map((c) => c.trim());
      return [object, { fields: Number(fields), raw: Number(raw), shaped: Number(shaped) }];
    }),
  );
}

describe("object records for Sekoia.io's Salesforce format", () => {
  it("keeps every value of every sample, under the column Salesforce's files give it or its own name", () => {
    for (const { name } of OBJECT_KINDS) {
      const record = sample(name);
      const shaped = JSON.parse(sekoiaShape(name, record)) as SalesforceRecord;
      const [, values] = recordFields(record);
      const written = Object.values(shaped).map(same);
      expect(
        values.map(same).filter((v) => !written.includes(v)),
        name,
      ).toEqual([]);
      // One key more: EVENT_TYPE.
      expect(Object.keys(shaped).length, name).toBe(values.length + 1);
    }
  });

  it("gets fields extracted where the record as it is gets none, as docs/mapping.md says for each object", () => {
    const documented = documentedFigures();
    for (const { name } of OBJECT_KINDS) {
      const figures = measure(name);
      expect(figures.raw, name).toBe(0);
      expect(figures.shaped, name).toBeGreaterThanOrEqual(5);
      expect(documented.get(name), name).toEqual(figures);
    }
  });

  it("makes logins Sekoia.io's Login events, with their status and real instant", () => {
    const shaped = JSON.parse(sekoiaShape("LoginEvent", { ...sample("LoginEvent"), Status: "Success" }));
    expect(shaped).toMatchObject({
      EVENT_TYPE: "Login",
      sobject: "LoginEvent",
      TIMESTAMP_DERIVED: "2026-11-20T09:30:00.123Z",
      LOGIN_STATUS: "Success",
      USER_ID: "0055j00000AbCdEAAZ",
      USER_NAME: "ada.lovelace@acme.example",
      SOURCE_IP: "198.51.100.23",
      BROWSER_NAME: "Chrome 120",
      CREATED_DATE: "2026-11-20T09:30:02.000+0000",
    });
    expect(sekoiaExtracted(shaped).get("(LOGIN_STATUS) outcome")).toBe("event.outcome");
    expect(JSON.parse(sekoiaShape("LoginHistory", sample("LoginHistory")))).toMatchObject({
      EVENT_TYPE: "Login",
      TIMESTAMP_DERIVED: "2026-11-20T09:30:00.000Z",
    });
  });

  it("keeps under their own names the values the format would misread", () => {
    const api = JSON.parse(sekoiaShape("ApiEvent", { ...sample("ApiEvent"), SourceIp: "Salesforce.com IP" }));
    // SOQL is no URL query; a browser's user agent is no client code; a non-address is no address.
    expect(api).toMatchObject({
      Query: "SELECT Id, Name, Phone FROM Account",
      BROWSER_TYPE: "DataLoaderBulkUI/60.0 Java/17.0.9",
      SourceIp: "Salesforce.com IP",
    });
    expect(api).not.toHaveProperty("QUERY");
    expect(api).not.toHaveProperty("USER_AGENT");
    expect(api).not.toHaveProperty("SOURCE_IP");
    expect(JSON.parse(sekoiaShape("SetupAuditTrail", sample("SetupAuditTrail")))).toMatchObject({
      EVENT_TYPE: "SetupAuditTrail",
      ACTION: "PermSetAssign",
      USER_ID: "0055j00000AdMiNAAV",
      USER_NAME: "it.admin@acme.example",
      MESSAGE: expect.stringContaining("Modify_All_Data_Elevated"),
      DELEGATE_USER: "support.agent@acme.example",
      SECTION: "Manage Users",
    });
  });
});
