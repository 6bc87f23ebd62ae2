import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { SourceEvent } from "../../src/core/event.js";
import { createNormalizer } from "../../src/normalize/normalizer.js";
import { OBJECT_KEY } from "../../src/core/event.js";
import { objectMapping } from "../../src/normalize/objects.js";
import { sharedEcs } from "../../src/normalize/shared-ecs.js";
import { OBJECT_KINDS, type ObjectKind } from "../../src/sources/objects/catalog.js";
import { type EcsDocument, ecsTypeProblems } from "./ecs-types.js";
import { missingFields } from "./landed.js";

type SalesforceRecord = Record<string, unknown>;

/** A sample record of each object, with Salesforce's field names, as the objects source reads it. */
function sample(object: string): SalesforceRecord {
  const url = new URL(`./fixtures/objects/${object}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as SalesforceRecord;
}

/** The event the objects source makes of a record (sources/objects/source.ts). */
function event(kind: ObjectKind, record: SalesforceRecord): SourceEvent {
  return {
    origin: {
      source: `objects:${kind.name}`,
      unit: "2026-11-20T09:00:00.000Z/2026-11-20T10:00:00.000Z",
      eventType: kind.name,
    },
    line: 1,
    json: JSON.stringify(record),
    fields: { kind: "record", record },
    identity: String(record[kind.identity] ?? ""),
  };
}

async function normalize(
  object: string,
  record = sample(object),
  includeOriginal = false,
): Promise<EcsDocument> {
  const kind = OBJECT_KINDS.find((k) => k.name === object)!;
  const encode = sharedEcs(await createNormalizer({ includeOriginal }));
  return JSON.parse(encode(event(kind, record))) as EcsDocument;
}

const eventOf = (doc: EcsDocument) => doc.event as Record<string, unknown>;

describe("ECS documents of object records", () => {
  for (const kind of OBJECT_KINDS) {
    it(`${kind.name}: valid ECS, nothing lost, event.id its ${kind.identity}, @timestamp its ${objectMapping(kind.name).time}`, async () => {
      const record = sample(kind.name);
      expect(record[OBJECT_KEY]).toBe(kind.name);
      const doc = await normalize(kind.name, record);
      expect(ecsTypeProblems(doc)).toEqual([]);
      expect(missingFields(record, doc)).toEqual([]);
      expect(eventOf(doc)).toMatchObject({
        id: record[kind.identity],
        dataset: kind.name,
        code: kind.name,
        module: "salesforce",
      });
      const time = record[objectMapping(kind.name).time] as string;
      expect(Date.parse(doc["@timestamp"] as string)).toBe(Date.parse(time));
      expect(doc["@timestamp"]).toMatch(/Z$/);
    });
  }

  it("maps the identity field the objects source deduplicates on", () => {
    for (const kind of OBJECT_KINDS)
      expect([kind.name, objectMapping(kind.name).identity]).toEqual([kind.name, kind.identity]);
  });

  it("gives the same event the same event.id when it is read twice with other field values", async () => {
    const first = await normalize("LoginEvent");
    const again = await normalize("LoginEvent", {
      ...sample("LoginEvent"),
      CreatedDate: "2026-11-20T09:35:00.000+0000",
    });
    expect(eventOf(again).id).toBe(eventOf(first).id);
  });

  it("takes event.id over the raw JSON when the record has no identity, and adds event.original when asked", async () => {
    const { EventIdentifier: _, ...record } = sample("LogoutEvent");
    const doc = await normalize("LogoutEvent", record, true);
    expect(eventOf(doc).original).toBe(JSON.stringify(record));
    expect(eventOf(doc).id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(eventOf(await normalize("LogoutEvent"))).not.toHaveProperty("original");
  });

  it("LoginEvent: a failed login is a failure that starts no session, geolocated by the record itself", async () => {
    const doc = await normalize("LoginEvent");
    expect(doc).toMatchObject({
      event: {
        kind: "event",
        category: ["authentication"],
        type: ["info"],
        action: "login",
        outcome: "failure",
      },
      user: { id: "0055j00000AbCdEAAZ", name: "ada.lovelace@acme.example" },
      source: {
        ip: "198.51.100.23",
        geo: {
          city_name: "Lyon",
          country_name: "France",
          country_iso_code: "FR",
          postal_code: "69002",
          region_name: "Auvergne-Rhône-Alpes",
          location: { lat: 45.7485, lon: 4.8467 },
        },
      },
      related: { ip: ["198.51.100.23", "203.0.113.9"] },
      user_agent: { name: "Chrome", version: "120", os: { name: "Mac OSX" } },
      tls: { version_protocol: "tls", version: "1.3", cipher: "ECDHE-RSA-AES256-GCM-SHA384" },
      url: { domain: "acme.my.salesforce.com" },
      salesforce: { login_event: { status: "Failed: Invalid Password", login_geo_id: "04F5j00000XyZaBEAV" } },
    });
    const success = await normalize("LoginEvent", { ...sample("LoginEvent"), Status: "Success" });
    expect(success).toMatchObject({ event: { type: ["start"], outcome: "success" } });
  });

  it("LoginHistory: a successful login, with only LoginGeoId for a place", async () => {
    const doc = await normalize("LoginHistory");
    expect(doc).toMatchObject({
      "@timestamp": "2026-11-20T09:30:00.000Z",
      event: { category: ["authentication"], type: ["start"], outcome: "success", provider: "LoginHistory" },
      user: { id: "0055j00000AbCdEAAZ" },
      source: { ip: "198.51.100.23", geo: { country_iso_code: "FR" } },
      salesforce: { login_history: { login_geo_id: "04F5j00000XyZaBEAV", options_is_post: true } },
    });
    expect(doc.source).not.toHaveProperty("geo.city_name");
    const failed = await normalize("LoginHistory", { ...sample("LoginHistory"), Status: "Invalid Password" });
    expect(failed).toMatchObject({ event: { type: ["info"], outcome: "failure" } });
  });

  it("LogoutEvent ends a session; LoginAsEvent relates the administrator to the user logged in as", async () => {
    expect(await normalize("LogoutEvent")).toMatchObject({
      event: { category: ["authentication", "session"], type: ["end"], outcome: "success" },
      salesforce: { user: { initiated_logout: true }, logout_event: { session_type: "UI" } },
    });
    expect(await normalize("LoginAsEvent")).toMatchObject({
      event: { category: ["authentication", "iam"], type: ["start", "admin"], action: "login-as" },
      user: { name: "ada.lovelace@acme.example" },
      related: { user: ["ada.lovelace@acme.example", "it.admin@acme.example"] },
      salesforce: {
        login_as_event: { delegated_username: "it.admin@acme.example", login_as_category: "OrgAdmin" },
      },
    });
  });

  it("SetupAuditTrail: a configuration change with its actor, delegate, section, action and display", async () => {
    const doc = await normalize("SetupAuditTrail");
    expect(doc).toMatchObject({
      event: {
        category: ["configuration"],
        type: ["change"],
        action: "PermSetAssign",
        id: "0Ym5j000001AbCdCAK",
      },
      user: { id: "0055j00000AdMiNAAV", name: "it.admin@acme.example" },
      related: { user: ["it.admin@acme.example", "support.agent@acme.example"] },
      message: expect.stringContaining("Modify_All_Data_Elevated"),
      salesforce: {
        setup_audit_trail: { section: "Manage Users", delegate_user: "support.agent@acme.example" },
      },
    });
    // Without the relationship selected, the actor is its Id.
    const { CreatedBy: _, ...bare } = sample("SetupAuditTrail");
    expect((await normalize("SetupAuditTrail", bare)).user).toEqual({ id: "0055j00000AdMiNAAV" });
  });

  it("Threat Detection stores are alerts, scored, summarized, with their evidence kept", async () => {
    for (const object of OBJECT_KINDS.filter((k) => k.access.includes("Threat Detection")).map(
      (k) => k.name,
    )) {
      const record = sample(object);
      const doc = await normalize(object, record);
      const score = record.Score as number;
      expect(doc, object).toMatchObject({
        event: {
          kind: "alert",
          provider: "ThreatDetection",
          risk_score: score,
          severity: Math.round(score * 100),
        },
        message: record.Summary,
      });
      expect(eventOf(doc).category).toContain("intrusion_detection");
      const own = (doc.salesforce as Record<string, Record<string, unknown>>)[
        Object.keys(doc.salesforce as object)[0]
      ];
      expect(JSON.parse(own.security_event_data as string)).toEqual(
        JSON.parse(record.SecurityEventData as string),
      );
    }
    expect(await normalize("SessionHijackingEventStore")).toMatchObject({
      user_agent: { name: "Firefox", os: { name: "Linux" } },
      related: { ip: ["198.51.100.23", "192.0.2.77"] },
    });
  });

  it("data access keeps rows and entities; web, IAM and MFA events get their class", async () => {
    expect(await normalize("ApiEvent")).toMatchObject({
      event: { category: ["database"], type: ["access"], action: "Query" },
      user_agent: { original: "DataLoaderBulkUI/60.0 Java/17.0.9" },
      salesforce: {
        api_event: {
          rows_processed: 2000,
          queried_entities: "Account",
          query: "SELECT Id, Name, Phone FROM Account",
        },
        api: { type: "REST", version: "60" },
      },
    });
    expect(await normalize("ReportEvent")).toMatchObject({
      event: { action: "ReportExported" },
      salesforce: {
        report_event: { rows_processed: 5000, report_id: "00O5j000000AbCdEAK" },
        entity: { name: "Account" },
      },
    });
    expect(await normalize("FileEventStore")).toMatchObject({
      event: { category: ["file"], action: "DOWNLOAD" },
      file: { name: "Q4-pipeline.xlsx" },
      salesforce: { document: { id: "0695j000000AbCdAAK" } },
    });
    expect(await normalize("BulkApiResultEventStore")).toMatchObject({
      event: { category: ["database"], action: "bulk-api-result-download" },
      salesforce: { bulk_api_result_event_store: { record_count: 250000 } },
    });
    expect(await normalize("LightningUriEvent")).toMatchObject({
      event: { category: ["web"], type: ["access"], start: "2026-11-20T09:29:58.289Z" },
      url: { path: "/lightning/r/Account/0015j00000AbCdEAAV/view" },
      user_agent: { name: "Chrome", version: "120.0.6099.71" },
      host: { os: { name: "Mac OS" } },
    });
    expect(await normalize("UriEvent")).toMatchObject({
      event: { action: "Read" },
      url: { path: "/0015j00000AbCdE" },
    });
    expect(await normalize("PermissionSetEventStore")).toMatchObject({
      event: { category: ["iam"], type: ["change"], action: "AssignedToUsers" },
    });
    expect(await normalize("IdentityVerificationEvent")).toMatchObject({
      event: { category: ["authentication"], action: "Login", outcome: "success" },
      source: { geo: { city_name: "Paris", location: { lat: 48.8566, lon: 2.3522 } } },
    });
    const pending = await normalize("IdentityVerificationEvent", {
      ...sample("IdentityVerificationEvent"),
      Status: "Initiated",
    });
    expect(eventOf(pending)).not.toHaveProperty("outcome");
  });
});
