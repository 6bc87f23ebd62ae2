import { describe, expect, it } from "vitest";
import { EVENT_TYPE_SCHEMAS, eventTypeSchema } from "../../src/salesforce/event-types.js";

const REQUIRED = [
  "Login",
  "LoginAs",
  "Logout",
  "API",
  "RestApi",
  "BulkApi",
  "Report",
  "ReportExport",
  "URI",
  "LightningPageView",
  "ContentTransfer",
  "DocumentAttachmentDownloads",
  "ApexExecution",
  "ApexCallout",
  "ApexUnexpectedException",
  "Sites",
];

describe("event type catalog", () => {
  it("knows every event type the simulator and the normalizer rely on", () => {
    for (const type of REQUIRED) expect(eventTypeSchema(type)?.eventType).toBe(type);
    expect(eventTypeSchema("NoSuchType")).toBeUndefined();
  });

  it("gives each type distinct columns with a type, starting the way real files start", () => {
    for (const schema of EVENT_TYPE_SCHEMAS) {
      const names = schema.columns.map((c) => c.name);
      expect(new Set(names).size, schema.eventType).toBe(names.length);
      expect(names.slice(0, 3)).toEqual(["EVENT_TYPE", "TIMESTAMP", "REQUEST_ID"]);
      expect(names).toContain("TIMESTAMP_DERIVED");
      for (const column of schema.columns)
        expect(column.type, `${schema.eventType}.${column.name}`).toMatch(/^[A-Z]/);
    }
  });

  it("keeps the column order of a published Login file, with later additions at the end", () => {
    const login = eventTypeSchema("Login")!.columns.map((c) => c.name);
    const published = [
      "EVENT_TYPE",
      "TIMESTAMP",
      "REQUEST_ID",
      "ORGANIZATION_ID",
      "USER_ID",
      "RUN_TIME",
      "CPU_TIME",
      "URI",
      "SESSION_KEY",
      "LOGIN_KEY",
      "USER_TYPE",
      "REQUEST_STATUS",
      "DB_TOTAL_TIME",
      "LOGIN_TYPE",
      "BROWSER_TYPE",
      "API_TYPE",
      "API_VERSION",
      "USER_NAME",
      "TLS_PROTOCOL",
      "CIPHER_SUITE",
    ];
    expect(login.slice(0, published.length)).toEqual(published);
    expect(login.slice(-3)).toEqual(["LOGIN_STATUS", "SOURCE_IP", "FORWARDED_FOR_IP"]);
  });

  it("marks the free types", () => {
    const free = EVENT_TYPE_SCHEMAS.filter((s) => s.free).map((s) => s.eventType);
    expect(free).toEqual(
      expect.arrayContaining(["Login", "Logout", "ApexUnexpectedException", "ApiTotalUsage"]),
    );
    expect(free).not.toContain("URI");
  });
});
