import { describe, expect, it } from "vitest";
import { createNormalizer } from "../../src/normalize/normalizer.js";
import { parseSalesforceTime } from "../../src/normalize/timestamp.js";
import { ecsTypeProblems, parsed } from "./ecs-types.js";
import { missingColumns } from "./landed.js";

type Row = Record<string, string>;

/** Columns every Event Log File starts or ends with, in Salesforce's order. */
function row(eventType: string, columns: Row, when = "20261120093015.123"): Row {
  const iso = parseSalesforceTime(when)!;
  return {
    EVENT_TYPE: eventType,
    TIMESTAMP: when,
    REQUEST_ID: "4u6LyuMrDvb_G-l1cJIQk-",
    ORGANIZATION_ID: "00D5j00000DgAYG",
    USER_ID: "0055j00000AT6I1",
    ...columns,
    TIMESTAMP_DERIVED: iso,
    USER_ID_DERIVED: "0055j00000AT6I1AAL",
  };
}

const FIREFOX = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:128.0) Gecko/20100101 Firefox/128.0";

/** Rows shaped like real ones (columns from the Event Log File object reference), one per type. */
const ROWS: Record<string, Row> = {
  Login: row("Login", {
    RUN_TIME: "156",
    CPU_TIME: "63",
    URI: "/index.jsp",
    SESSION_KEY: "",
    LOGIN_KEY: "NK2oPJrJze8tH+vC",
    USER_TYPE: "Standard",
    REQUEST_STATUS: "",
    DB_TOTAL_TIME: "93531912",
    LOGIN_TYPE: "A",
    BROWSER_TYPE: FIREFOX,
    API_TYPE: "f",
    API_VERSION: "9998.0",
    USER_NAME: "ada@example.com",
    TLS_PROTOCOL: "TLSv1.2",
    CIPHER_SUITE: "ECDHE-RSA-AES256-GCM-SHA384",
    LOGIN_URL: "login.salesforce.com",
    COUNTRY_CODE: "FR",
    LOGIN_SUB_TYPE: "",
    CLIENT_IP: "Salesforce.com IP",
    LOGIN_STATUS: "LOGIN_ERROR_INVALID_PASSWORD",
    SOURCE_IP: "198.51.100.7",
    FORWARDED_FOR_IP: "203.0.113.9, 10.0.0.1",
  }),
  LoginAs: row("LoginAs", {
    RUN_TIME: "80",
    CPU_TIME: "20",
    URI: "/servlet/servlet.su",
    SESSION_KEY: "d7DEq/ANa7nNZZVD",
    LOGIN_KEY: "GeJCsym5eyvtEK2I",
    DELEGATED_USER_ID: "0055j00000AT7J2",
    DELEGATED_USER_ID_DERIVED: "0055j00000AT7J2AAL",
    DELEGATED_USER_NAME: "admin@example.com",
    CLIENT_IP: "192.0.2.44",
  }),
  Logout: row("Logout", {
    SESSION_KEY: "d7DEq/ANa7nNZZVD",
    LOGIN_KEY: "GeJCsym5eyvtEK2I",
    USER_TYPE: "S",
    APP_TYPE: "1000",
    BROWSER_TYPE: FIREFOX,
    CLIENT_VERSION: "9",
    PLATFORM_TYPE: "1015",
    RESOLUTION_TYPE: "1920",
    SESSION_LEVEL: "1",
    SESSION_TYPE: "U",
    USER_INITIATED_LOGOUT: "1",
    API_TYPE: "",
    API_VERSION: "",
    CLIENT_IP: "192.0.2.44",
  }),
  API: row("API", {
    RUN_TIME: "210",
    CPU_TIME: "45",
    URI: "/services/Soap/u/61.0",
    SESSION_KEY: "d7DEq/ANa7nNZZVD",
    LOGIN_KEY: "GeJCsym5eyvtEK2I",
    USER_TYPE: "Standard",
    REQUEST_STATUS: "F",
    DB_TOTAL_TIME: "52000000",
    API_TYPE: "E",
    API_VERSION: "61.0",
    CLIENT_NAME: "DataLoaderBulkUI/",
    METHOD_NAME: "query",
    ENTITY_NAME: "Account",
    ROWS_PROCESSED: "50000",
    QUERY: "SELECT Id, Name FROM Account WHERE Name = 'a,b'",
    REQUEST_SIZE: "812",
    RESPONSE_SIZE: "1048576",
    EXCEPTION_MESSAGE: "",
    CLIENT_IP: "198.51.100.7",
  }),
  RestApi: row("RestApi", {
    RUN_TIME: "35",
    CPU_TIME: "9",
    URI: "/services/data/v61.0/sobjects/Contact/003xx",
    SESSION_KEY: "d7DEq/ANa7nNZZVD",
    LOGIN_KEY: "GeJCsym5eyvtEK2I",
    USER_TYPE: "Standard",
    REQUEST_STATUS: "",
    METHOD: "GET",
    MEDIA_TYPE: "application/json",
    STATUS_CODE: "404",
    USER_AGENT: "13020001",
    ROWS_PROCESSED: "0",
    CONNECTED_APP_ID: "0H4xx0000000001",
    CLIENT_IP: "198.51.100.7",
  }),
  BulkApi: row("BulkApi", {
    RUN_TIME: "900",
    CPU_TIME: "300",
    URI: "/services/async/61.0/job/750xx/batch",
    SESSION_KEY: "d7DEq/ANa7nNZZVD",
    LOGIN_KEY: "GeJCsym5eyvtEK2I",
    JOB_ID: "750xx0000000001",
    BATCH_ID: "751xx0000000001",
    ENTITY_TYPE: "Account",
    OPERATION_TYPE: "query",
    ROWS_PROCESSED: "120000",
    NUMBER_FAILURES: "3",
    SUCCESS: "0",
    MESSAGE: 'InvalidBatch : "Failed to process query"',
    CLIENT_IP: "198.51.100.7",
  }),
  Report: row("Report", {
    RUN_TIME: "1200",
    CPU_TIME: "400",
    URI: "/00Oxx0000000001",
    SESSION_KEY: "d7DEq/ANa7nNZZVD",
    LOGIN_KEY: "GeJCsym5eyvtEK2I",
    USER_TYPE: "Standard",
    REQUEST_STATUS: "S",
    REPORT_ID: "00Oxx0000000001",
    REPORT_ID_DERIVED: "00Oxx0000000001AAA",
    ROW_COUNT: "2000",
    AVERAGE_ROW_SIZE: "512",
    DISPLAY_TYPE: "S",
    RENDERING_TYPE: "W",
    ORIGIN: "ReportRunFromLightning",
    NUMBER_COLUMNS: "12",
    ENTITY_NAME: "Opportunity",
    CLIENT_IP: "198.51.100.7",
  }),
  ReportExport: row("ReportExport", {
    RUN_TIME: "80",
    CPU_TIME: "30",
    URI: "/00Oxx0000000001",
    SESSION_KEY: "d7DEq/ANa7nNZZVD",
    LOGIN_KEY: "GeJCsym5eyvtEK2I",
    CLIENT_INFO: "Excel",
    REPORT_DESCRIPTION: "Pipeline, all regions",
    CLIENT_IP: "198.51.100.7",
  }),
  URI: row("URI", {
    RUN_TIME: "40",
    CPU_TIME: "10",
    URI: "/001xx000003DGb2",
    SESSION_KEY: "d7DEq/ANa7nNZZVD",
    LOGIN_KEY: "GeJCsym5eyvtEK2I",
    USER_TYPE: "Standard",
    REQUEST_STATUS: "S",
    REFERRER_URI: "https://acme.my.salesforce.com/home/home.jsp",
    DB_TOTAL_TIME: "1200000",
    CLIENT_IP: "2001:db8::7",
  }),
  LightningPageView: row("LightningPageView", {
    SESSION_KEY: "d7DEq/ANa7nNZZVD",
    LOGIN_KEY: "GeJCsym5eyvtEK2I",
    USER_TYPE: "S",
    APP_NAME: "one:one",
    BROWSER_NAME: "Chrome",
    BROWSER_VERSION: "131",
    CLIENT_GEO: "France/Île-de-France",
    CONNECTION_TYPE: "4g",
    DEVICE_PLATFORM: "SFX:BROWSER:DESKTOP",
    DURATION: "1834",
    EFFECTIVE_PAGE_TIME: "1290",
    OS_NAME: "MAC",
    OS_VERSION: "10.15",
    PAGE_START_TIME: "1795167013289",
    PAGE_URL: "/lightning/r/Account/001xx000003DGb2/view",
    PAGE_ENTITY_TYPE: "Account",
    UI_EVENT_ID: "ltng:pageView",
    UI_EVENT_SEQUENCE_NUM: "4",
    USER_AGENT: "13013100",
    CLIENT_IP: "198.51.100.7",
  }),
  ContentTransfer: row("ContentTransfer", {
    TRANSACTION_TYPE: "saveVersion",
    DOCUMENT_ID: "069xx0000000001",
    VERSION_ID: "068xx0000000001",
    FILE_TYPE: "PDF",
    FILE_PREVIEW_TYPE: "",
    SIZE_BYTES: "734003",
    DOCUMENT_ID_DERIVED: "069xx0000000001AAA",
    VERSION_ID_DERIVED: "068xx0000000001AAA",
  }),
  DocumentAttachmentDownloads: row("DocumentAttachmentDownloads", {
    ENTITY_ID: "00Pxx0000000001",
    FILE_TYPE: "application/pdf",
  }),
  ApexExecution: row("ApexExecution", {
    RUN_TIME: "20",
    CPU_TIME: "12",
    URI: "/apex/ContactsPage",
    SESSION_KEY: "d7DEq/ANa7nNZZVD",
    LOGIN_KEY: "GeJCsym5eyvtEK2I",
    EXEC_TIME: "12.5",
    CALLOUT_TIME: "0",
    ENTRY_POINT: "ContactsController.load",
    IS_LONG_RUNNING_REQUEST: "0",
    NUMBER_SOQL_QUERIES: "7",
    QUIDDITY: "V",
    DB_TOTAL_TIME: "3400000",
    CLIENT_IP: "198.51.100.7",
  }),
  ApexCallout: row("ApexCallout", {
    RUN_TIME: "260",
    CPU_TIME: "5",
    URI: "CALLOUT-LOG",
    SESSION_KEY: "d7DEq/ANa7nNZZVD",
    LOGIN_KEY: "GeJCsym5eyvtEK2I",
    TYPE: "REST",
    METHOD: "POST",
    SUCCESS: "1",
    TIME: "250",
    REQUEST_SIZE: "120",
    RESPONSE_SIZE: "2048",
    URL: "https://api.example.net:8443/v1/orders?status=open",
    STATUS_CODE: "200",
    CLIENT_IP: "Salesforce.com IP",
  }),
  ApexUnexpectedException: row("ApexUnexpectedException", {
    EXCEPTION_TYPE: "System.NullPointerException",
    EXCEPTION_MESSAGE: 'Attempt to de-reference a null object: "acct"',
    EXCEPTION_CATEGORY: "APEX_CODE",
    STACK_TRACE: "Class.AccountService.load: line 12, column 1\nTrigger.AccountTrigger: line 3, column 1",
  }),
  Sites: row("Sites", {
    RUN_TIME: "30",
    CPU_TIME: "8",
    URI: "/s/login",
    SESSION_KEY: "",
    LOGIN_KEY: "",
    USER_TYPE: "Guest",
    REQUEST_STATUS: "S",
    HTTP_METHOD: "GET",
    IS_API: "0",
    IS_ERROR: "1",
    IS_FIRST_REQUEST: "1",
    IS_GUEST: "1",
    IS_SECURE: "1",
    PAGE_NAME: "CommunitiesLogin",
    QUERY: "?startURL=%2Fs%2F",
    REQUEST_TYPE: "page",
    SITE_ID: "0DMxx0000000001",
    HTTP_HEADERS: "Host: acme.my.site.com",
    CLIENT_IP: "203.0.113.50",
  }),
};

async function normalize(r: Row, eventType?: string, includeOriginal = false) {
  const normalizer = await createNormalizer({ includeOriginal });
  const header = Object.keys(r);
  return parsed(normalizer.forHeader(header, eventType))(Object.values(r));
}

describe("normalizing each event type", () => {
  for (const [type, r] of Object.entries(ROWS)) {
    it(`${type}: common fields, ECS types, and no column lost`, async () => {
      const doc = await normalize(r);
      expect(doc).toMatchObject({
        "@timestamp": "2026-11-20T09:30:15.123Z",
        event: { kind: "event", dataset: type, module: "salesforce", provider: "EventLogFile" },
        organization: { id: "00D5j00000DgAYG" },
        user: { id: "0055j00000AT6I1" },
        salesforce: { request: { id: "4u6LyuMrDvb_G-l1cJIQk-" } },
      });
      expect(ecsTypeProblems(doc)).toEqual([]);
      expect(missingColumns(r, doc)).toEqual([]);
    });
  }

  it("Login: a failed login is a failure, Salesforce.com IP stays out of the address fields", async () => {
    const doc = await normalize(ROWS.Login);
    expect(doc).toMatchObject({
      event: { category: ["authentication"], type: ["info"], action: "login", outcome: "failure" },
      source: { ip: "198.51.100.7" },
      related: { ip: ["198.51.100.7", "203.0.113.9", "10.0.0.1"], user: ["ada@example.com"] },
      user: { email: "ada@example.com" },
      tls: { version_protocol: "tls", version: "1.2", cipher: "ECDHE-RSA-AES256-GCM-SHA384" },
      url: { original: "login.salesforce.com", path: "/index.jsp" },
      user_agent: { original: FIREFOX, name: "Firefox", version: "128.0", os: { name: "Mac OS" } },
      salesforce: {
        client_ip: "Salesforce.com IP",
        login_type: "A",
        login_type_name: "Application",
        api: { type: "f", type_name: "Feed", version: "9998.0" },
        login: { status: "LOGIN_ERROR_INVALID_PASSWORD", key: "NK2oPJrJze8tH+vC" },
        run_time: 156,
        db_total_time: 93531912,
      },
    });
    expect(doc.event).toMatchObject({ duration: 156_000_000 });
    const success = await normalize({ ...ROWS.Login, LOGIN_STATUS: "LOGIN_NO_ERROR" });
    expect(success.event).toMatchObject({ type: ["start"], outcome: "success" });
  });

  it("LoginAs: the impersonated user and the administrator who logged in as them", async () => {
    const doc = await normalize(ROWS.LoginAs);
    expect(doc).toMatchObject({
      event: { category: ["authentication", "iam"], action: "login-as" },
      salesforce: { delegated_user_id: "0055j00000AT7J2", delegated_user_name: "admin@example.com" },
      related: { user: ["admin@example.com"], ip: ["192.0.2.44"] },
    });
  });

  it("Logout: session, platform, app and user codes decoded, booleans typed", async () => {
    const doc = await normalize(ROWS.Logout);
    expect(doc).toMatchObject({
      event: { category: ["authentication", "session"], type: ["end"], outcome: "success" },
      salesforce: {
        session_type: "U",
        session_type_name: "UI",
        session_level: "1",
        session_level_name: "Standard Session",
        platform_type: 1015,
        platform_type_name: "Windows 10",
        app_type: 1000,
        app_type_name: "Application",
        user: { type: "S", type_name: "Standard", initiated_logout: true },
        client_version: 9,
      },
    });
  });

  it("API: SOQL stays SOQL, a failed request status is a failure, the API type is decoded", async () => {
    const doc = await normalize(ROWS.API);
    expect(doc).toMatchObject({
      event: { category: ["web"], type: ["access"], outcome: "failure" },
      salesforce: {
        query: ROWS.API.QUERY,
        rows_processed: 50000,
        client_name: "DataLoaderBulkUI/",
        api: { type: "E", type_name: "SOAP Enterprise" },
        request: { status: "F", status_name: "Failure" },
        method: { name: "query" },
      },
      http: { request: { bytes: 812 }, response: { bytes: 1048576 } },
    });
    expect(doc.url).toEqual({ path: "/services/Soap/u/61.0" });
  });

  it("RestApi: HTTP fields, a 404 is a failure, the numeric user agent code is decoded", async () => {
    const doc = await normalize(ROWS.RestApi);
    expect(doc).toMatchObject({
      event: { outcome: "failure", action: "rest-api-request" },
      http: { request: { method: "GET" }, response: { status_code: 404, mime_type: "application/json" } },
      salesforce: { user_agent: 13020001, user_agent_name: "Chrome", connected_app_id: "0H4xx0000000001" },
    });
    expect(doc).not.toHaveProperty("user_agent");
  });

  it("BulkApi: SUCCESS 0 is a failure, counts are numbers", async () => {
    const doc = await normalize(ROWS.BulkApi);
    expect(doc).toMatchObject({
      event: { outcome: "failure", reason: ROWS.BulkApi.MESSAGE },
      salesforce: { success: false, rows_processed: 120000, number_failures: 3, job_id: "750xx0000000001" },
    });
  });

  it("Report and ReportExport: report ids, sizes and origins kept", async () => {
    const report = await normalize(ROWS.Report);
    expect(report).toMatchObject({
      event: { category: ["database"], action: "report-run", outcome: "success" },
      salesforce: {
        report_id: "00Oxx0000000001",
        row_count: 2000,
        average_row_size: 512,
        origin: "ReportRunFromLightning",
      },
    });
    const exported = await normalize(ROWS.ReportExport);
    expect(exported).toMatchObject({
      event: { category: ["file"], action: "report-export" },
      salesforce: { client_info: "Excel", report_description: "Pipeline, all regions" },
    });
  });

  it("URI and LightningPageView: page fields, IPv6, CLIENT_GEO, page start and duration", async () => {
    const uri = await normalize(ROWS.URI);
    expect(uri).toMatchObject({
      source: { ip: "2001:db8::7" },
      http: { request: { referrer: ROWS.URI.REFERRER_URI } },
      url: { path: "/001xx000003DGb2" },
    });
    const page = await normalize(ROWS.LightningPageView);
    expect(page).toMatchObject({
      event: {
        action: "page-view",
        code: "ltng:pageView",
        duration: 1_834_000_000,
        start: "2026-11-20T09:30:13.289Z",
      },
      source: { geo: { country_name: "France", region_name: "Île-de-France" } },
      user_agent: { name: "Chrome", version: "131" },
      host: { os: { name: "MAC", version: "10.15" } },
      network: { application: "one:one" },
      salesforce: {
        user: { type: "S", type_name: "Standard" },
        user_agent: 13013100,
        user_agent_name: "Chrome",
        effective_page_time: 1290,
      },
      url: { path: ROWS.LightningPageView.PAGE_URL },
    });
  });

  it("ContentTransfer and DocumentAttachmentDownloads: file events with their sizes and ids", async () => {
    const transfer = await normalize(ROWS.ContentTransfer);
    expect(transfer).toMatchObject({
      event: { category: ["file"], action: "saveVersion" },
      salesforce: {
        size_bytes: 734003,
        document: { id: "069xx0000000001" },
        transaction: { type: "saveVersion" },
      },
    });
    const download = await normalize(ROWS.DocumentAttachmentDownloads);
    expect(download).toMatchObject({
      event: { category: ["file"], action: "document-download" },
      salesforce: { entity_id: "00Pxx0000000001", file_type: "application/pdf" },
    });
  });

  it("Apex: execution time in nanoseconds, callout URL split, exceptions are failures", async () => {
    const exec = await normalize(ROWS.ApexExecution);
    expect(exec).toMatchObject({
      event: { category: ["process"], duration: 12_500_000 },
      salesforce: { exec_time: 12.5, is_long_running_request: false, quiddity: { name: "V" } },
    });
    const callout = await normalize(ROWS.ApexCallout);
    expect(callout).toMatchObject({
      event: { outcome: "success", duration: 250_000_000, category: ["network"] },
      url: {
        original: ROWS.ApexCallout.URL,
        domain: "api.example.net",
        port: 8443,
        scheme: "https",
        path: "CALLOUT-LOG",
        query: "status=open",
      },
      http: { request: { method: "POST", bytes: 120 }, response: { status_code: 200, bytes: 2048 } },
      salesforce: { client_ip: "Salesforce.com IP", type: "REST" },
    });
    expect(callout).not.toHaveProperty("source");
    expect(callout).not.toHaveProperty("related");
    const exception = await normalize(ROWS.ApexUnexpectedException);
    expect(exception).toMatchObject({
      event: { outcome: "failure", action: "apex-unexpected-exception" },
      salesforce: { stack_trace: ROWS.ApexUnexpectedException.STACK_TRACE },
    });
  });

  it("Sites: a URL query string becomes url.query, IS_ERROR decides the outcome", async () => {
    const doc = await normalize(ROWS.Sites);
    expect(doc).toMatchObject({
      event: { outcome: "failure" },
      url: { path: "/s/login", query: "startURL=%2Fs%2F" },
      salesforce: { is_guest: true, is_error: true, site_id: "0DMxx0000000001" },
    });
  });
});

describe("normalizing any row", () => {
  it("falls back for an unknown type, and follows LogFileFieldTypes for unknown columns", async () => {
    const normalizer = await createNormalizer();
    const header = ["TIMESTAMP", "WAVE_SESSION_ID", "ROWS_RETURNED", "ENTITY"];
    const doc = parsed(
      normalizer.forHeader(header, "WaveDownload", ["String", "String", "Number", "String"]),
    )(["20261120093015", "abc", "42", "Account"]);
    expect(doc).toMatchObject({
      "@timestamp": "2026-11-20T09:30:15.000Z",
      event: { category: ["network"], type: ["info"], action: "wave-download", dataset: "WaveDownload" },
      salesforce: { wave_session_id: "abc", rows_returned: 42, entity: { value: "Account" } },
    });
    expect(ecsTypeProblems(doc)).toEqual([]);
  });

  it("keeps a value that does not fit its type, as written, rather than losing it", async () => {
    const doc = await normalize({ ...ROWS.API, ROWS_PROCESSED: "many" });
    expect(doc).toMatchObject({ salesforce: { unparsed: { rows_processed: "many" } } });
    expect((doc.salesforce as Record<string, unknown>).rows_processed).toBeUndefined();
  });

  it("gives a re-delivered row the same event.id and another row another id", async () => {
    const a = await normalize(ROWS.URI);
    const b = await normalize({ ...ROWS.URI });
    const c = await normalize({ ...ROWS.URI, RUN_TIME: "41" });
    expect((a.event as { id: string }).id).toBe((b.event as { id: string }).id);
    expect((a.event as { id: string }).id).not.toBe((c.event as { id: string }).id);
  });

  it("adds event.original, the raw row JSON, only when asked", async () => {
    const without = await normalize(ROWS.URI);
    expect(without.event).not.toHaveProperty("original");
    const withOriginal = await normalize(ROWS.URI, undefined, true);
    expect(JSON.parse((withOriginal.event as { original: string }).original)).toEqual(ROWS.URI);
  });

  it("takes the type from the EVENT_TYPE column, else from the caller", async () => {
    const normalizer = await createNormalizer();
    const plan = parsed(normalizer.forHeader(["EVENT_TYPE", "CLIENT_IP"], "Logout"));
    expect(plan(["Login", "192.0.2.1"]).event).toMatchObject({ dataset: "Login" });
    expect(plan(["", "192.0.2.1"]).event).toMatchObject({ dataset: "Logout" });
    const noColumn = parsed(normalizer.forHeader(["CLIENT_IP"], "URI"));
    expect(noColumn(["192.0.2.1"]).event).toMatchObject({ dataset: "URI" });
  });
});
