import { toCaseSafeId } from "../../salesforce/ids.js";
import { randomRecordId } from "./ids.js";
import { addressIn, COUNTRY_BLOCKS, type OrgProfile, type OrgUser } from "./population.js";
import type { Random } from "./random.js";
import type { Channel, Login, SessionDirectory } from "./sessions.js";

/**
 * What each event type's rows say, column by column, as Salesforce writes it. A generator returns
 * the values of the type's own columns; the common ones (EVENT_TYPE, TIMESTAMP, ids, keys, CLIENT_IP,
 * timings) are filled by rows.ts unless the generator gives them. Columns left out are written empty,
 * as many are in real files.
 */

export interface RowContext {
  eventType: string;
  time: number;
  /** TIMESTAMP: yyyyMMddHHmmss.SSS in GMT. */
  timestamp: string;
  /** TIMESTAMP_DERIVED: ISO 8601 with milliseconds and Z. */
  timestampDerived: string;
  rnd: Random;
  profile: OrgProfile;
  sessions: SessionDirectory;
  /** The session that made the request; undefined for work the platform does on its own. */
  session: Login | undefined;
  user: OrgUser;
  clientIp: string;
  requestId: string;
  /** The type's own values, by column name. */
  values: Record<string, string>;
}

export interface EventGenerator {
  /** Where rows come from: login attempts, session ends, or activity of open sessions. */
  source: "login" | "logout" | "activity";
  /** The column the last row of a declared-size file pads to reach the exact size. */
  padColumn: string;
  values(c: RowContext): Record<string, string>;
}

/** Makes the row the work of a session of `channel` open at the row's time. */
function inSession(c: RowContext, channel: Channel): Login | undefined {
  const session = c.sessions.openSession(c.time, channel, c.rnd);
  if (session !== undefined) {
    c.session = session;
    c.user = session.user;
    c.clientIp = session.clientIp;
  }
  return session;
}

/** Makes the row the platform's own work (scheduled or asynchronous Apex): no session, internal address. */
function asPlatform(c: RowContext): void {
  c.session = undefined;
  c.user = c.profile.automatedProcess;
  c.clientIp = "Salesforce.com IP";
}

const ENTITIES = [
  "Account",
  "Contact",
  "Opportunity",
  "Lead",
  "Case",
  "User",
  "Task",
  "Campaign",
  "Product2",
];
const KEY_PREFIXES: Record<string, string> = {
  Account: "001",
  Contact: "003",
  Opportunity: "006",
  Lead: "00Q",
  Case: "500",
  User: "005",
  Task: "00T",
  Campaign: "701",
  Product2: "01t",
};
const COUNTRY_GEO: Record<string, string> = {
  US: "United States/California",
  FR: "France/Île-de-France",
  DE: "Germany/Bavaria",
  GB: "United Kingdom/England",
  ES: "Spain/Madrid",
  IN: "India/Karnataka",
  JP: "Japan/Tokyo",
  BR: "Brazil/São Paulo",
  AU: "Australia/New South Wales",
  NG: "Nigeria/Lagos",
  CN: "China/Jilin",
};

function recordOf(c: RowContext, entity: string): { id15: string; id18: string } {
  const id15 = randomRecordId(KEY_PREFIXES[entity] ?? "001", c.profile.instance, c.rnd);
  return { id15, id18: toCaseSafeId(id15) };
}

function apiVersionOf(session: Login | undefined, rnd: Random): string {
  const version = session?.apiVersion;
  return version !== undefined && version !== "9998.0" ? version : `${rnd.between(56, 62)}.0`;
}

const bool = (value: boolean): string => (value ? "1" : "0");
const num = (rnd: Random, min: number, max: number): string => String(rnd.between(min, max));

/** SOQL as clients send it: often over several lines, sometimes with quoted literals. */
function soql(rnd: Random, entity: string): string {
  const where = rnd.pick([
    "",
    `\nWHERE LastModifiedDate = LAST_N_DAYS:${rnd.between(1, 30)}`,
    `\nWHERE Name LIKE '%Acme "North"%'\nLIMIT ${rnd.between(1, 500)}`,
    `\nWHERE OwnerId = '${randomRecordId("005", "5j", rnd)}'`,
  ]);
  return `SELECT Id, Name, CreatedDate\nFROM ${entity}${where}`;
}

const LOGIN: EventGenerator = {
  source: "login",
  padColumn: "HTTP_REFERER",
  values(c) {
    const l = c.session!;
    const tls13 = c.rnd.chance(0.6);
    const browser = l.channel === "browser";
    return {
      URI: l.uri,
      // A session does not exist yet when the Login row is written.
      SESSION_KEY: "",
      REQUEST_STATUS: browser ? (l.status === "LOGIN_NO_ERROR" ? "Success" : "Failed") : "",
      LOGIN_TYPE: l.loginType,
      API_TYPE: l.apiType,
      API_VERSION: l.apiVersion,
      USER_NAME: l.user.username,
      TLS_PROTOCOL: tls13 ? "TLSv1.3" : "TLSv1.2",
      CIPHER_SUITE: tls13 ? "TLS_AES_256_GCM_SHA384" : "ECDHE-RSA-AES256-GCM-SHA384",
      USE_API_TOKEN: "",
      HTTP_REFERER: browser ? `https://${c.profile.myDomain}/` : "",
      LOGIN_URL: c.profile.myDomain,
      COUNTRY_CODE: l.country,
      LOGIN_SUB_TYPE: l.loginSubType,
      LOGIN_STATUS: l.status,
      SOURCE_IP: l.sourceIp,
    };
  },
};

const LOGOUT: EventGenerator = {
  source: "logout",
  padColumn: "BROWSER_TYPE",
  values(c) {
    const s = c.session!;
    const browser = s.browser;
    return {
      USER_TYPE: "S",
      SESSION_TYPE: browser ? "U" : "O",
      SESSION_LEVEL: "1",
      PLATFORM_TYPE: browser?.platformType ?? "",
      RESOLUTION_TYPE: browser ? "9999" : "",
      APP_TYPE: browser ? "1000" : "2514",
      CLIENT_VERSION: "9998",
      API_TYPE: s.apiType,
      API_VERSION: s.apiVersion,
      USER_INITIATED_LOGOUT: bool(browser !== undefined && c.rnd.chance(0.35)),
    };
  },
};

const LOGIN_AS: EventGenerator = {
  source: "activity",
  padColumn: "URI",
  values(c) {
    inSession(c, "browser");
    const admin = c.rnd.pick(c.profile.users.filter((u) => u.kind === "admin"));
    return {
      URI: "/servlet/servlet.su",
      DELEGATED_USER_ID: admin.id15,
      DELEGATED_USER_NAME: admin.username,
      DELEGATED_USER_ID_DERIVED: admin.id18,
    };
  },
};

const SOAP_METHODS = [
  "query",
  "queryMore",
  "describeSObjects",
  "update",
  "create",
  "upsert",
  "retrieve",
  "getUserInfo",
];

const API: EventGenerator = {
  source: "activity",
  padColumn: "QUERY",
  values(c) {
    const session = inSession(c, "api");
    const method = c.rnd.pick(SOAP_METHODS);
    const entity = c.rnd.pick(ENTITIES);
    const failed = c.rnd.chance(0.03);
    const version = apiVersionOf(session, c.rnd);
    return {
      URI: `/services/Soap/${c.rnd.chance(0.7) ? "u" : "c"}/${version}`,
      REQUEST_STATUS: failed ? "F" : "S",
      API_TYPE: c.rnd.chance(0.7) ? "P" : "E",
      API_VERSION: version,
      METHOD_NAME: method,
      ENTITY_NAME: method === "getUserInfo" ? "" : entity,
      ROWS_PROCESSED: num(c.rnd, 0, method === "query" ? 2000 : 200),
      REQUEST_SIZE: num(c.rnd, 300, 20_000),
      RESPONSE_SIZE: num(c.rnd, 400, 900_000),
      CLIENT_NAME: c.rnd.chance(0.4) ? "DataLoaderBulkUI/" : "",
      EXCEPTION_MESSAGE: failed ? `INVALID_FIELD: No such column 'Region__c' on entity '${entity}'.` : "",
      QUERY: method === "query" ? soql(c.rnd, entity) : "",
    };
  },
};

const REST_METHODS = ["GET", "GET", "GET", "POST", "PATCH", "DELETE"];
/** RestApi writes USER_AGENT as a numeric client code, not the header text. */
const REST_AGENT_CODES = ["12024001", "5000", "1004", "999"];

function restValues(c: RowContext, apex: boolean): Record<string, string> {
  const session = inSession(c, "api");
  const method = c.rnd.pick(REST_METHODS);
  const entity = c.rnd.pick(ENTITIES);
  const version = apiVersionOf(session, c.rnd);
  const record = recordOf(c, entity);
  const onRecord = method !== "POST" && c.rnd.chance(0.5);
  const failed = c.rnd.chance(0.04);
  const status = failed
    ? c.rnd.pick(["400", "404", "500"])
    : method === "POST"
      ? "201"
      : method === "DELETE"
        ? "204"
        : "200";
  const uri = apex
    ? `/services/apexrest/v1/orders${onRecord ? `/${record.id15}` : ""}`
    : onRecord
      ? `/services/data/v${version}/sobjects/${entity}/${record.id18}`
      : method === "GET"
        ? `/services/data/v${version}/query`
        : `/services/data/v${version}/sobjects/${entity}`;
  return {
    URI: uri,
    URI_ID_DERIVED: onRecord ? record.id18 : "",
    REQUEST_STATUS: failed ? "F" : "S",
    METHOD: method,
    MEDIA_TYPE: "application/json;charset=UTF-8",
    STATUS_CODE: status,
    USER_AGENT: c.rnd.pick(REST_AGENT_CODES),
    ROWS_PROCESSED: num(c.rnd, 0, 2000),
    NUMBER_FIELDS: method === "GET" ? num(c.rnd, 2, 40) : "",
    REQUEST_SIZE: method === "GET" ? "" : num(c.rnd, 80, 50_000),
    RESPONSE_SIZE: num(c.rnd, 2, 2_000_000),
    ENTITY_NAME: entity,
    CONNECTED_APP_ID: `0H4${c.profile.instance}0000${session?.user.id15.slice(-6) ?? "000000"}`,
    EXCEPTION_MESSAGE: failed
      ? `{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}`
      : "",
  };
}

const REST_API: EventGenerator = {
  source: "activity",
  padColumn: "URI",
  values: (c) => restValues(c, false),
};
const APEX_REST_API: EventGenerator = {
  source: "activity",
  padColumn: "URI",
  values: (c) => restValues(c, true),
};

const API_TOTAL_USAGE: EventGenerator = {
  source: "activity",
  padColumn: "API_RESOURCE",
  values(c) {
    const session = inSession(c, "api");
    const family = c.rnd.pick(["REST", "REST", "SOAP", "BULK"]);
    const version = apiVersionOf(session, c.rnd);
    const entity = c.rnd.pick(ENTITIES);
    return {
      API_FAMILY: family,
      API_VERSION: version,
      API_RESOURCE:
        family === "SOAP"
          ? c.rnd.pick(SOAP_METHODS)
          : `/v${version}/${c.rnd.pick(["query", "sobjects", "limits", "jobs/ingest"])}`,
      HTTP_METHOD: family === "SOAP" ? "POST" : c.rnd.pick(REST_METHODS),
      COUNTS_AGAINST_API_LIMIT: bool(c.rnd.chance(0.97)),
      CONNECTED_APP_ID: `0H4${c.profile.instance}0000${session?.user.id15.slice(-6) ?? "000000"}`,
      ENTITY_NAME: entity,
      STATUS_CODE: c.rnd.chance(0.96) ? "200" : c.rnd.pick(["400", "401", "404"]),
    };
  },
};

const BULK_API: EventGenerator = {
  source: "activity",
  padColumn: "MESSAGE",
  values(c) {
    const session = inSession(c, "api");
    const job = randomRecordId("750", c.profile.instance, c.rnd);
    const batch = randomRecordId("751", c.profile.instance, c.rnd);
    const rows = c.rnd.between(1, 10_000);
    const failures = c.rnd.chance(0.1) ? c.rnd.between(1, Math.min(rows, 50)) : 0;
    return {
      URI: `/services/async/${apiVersionOf(session, c.rnd)}/job/${job}/batch/${batch}`,
      ENTITY_TYPE: c.rnd.pick(ENTITIES),
      OPERATION_TYPE: c.rnd.pick(["insert", "update", "upsert", "query", "delete"]),
      JOB_ID: job,
      BATCH_ID: batch,
      NUMBER_FAILURES: String(failures),
      ROWS_PROCESSED: String(rows),
      SUCCESS: bool(failures === 0),
      MESSAGE:
        failures === 0
          ? ""
          : `REQUIRED_FIELD_MISSING: Required fields are missing: [LastName]; ${failures} rows failed, "Name" field too long`,
    };
  },
};

const REPORT_ORIGINS = [
  "ReportRunFromLightning",
  "ReportRunFromClassic",
  "ReportExported",
  "ReportRunFromRestApi",
  "ReportScheduled",
];

const REPORT: EventGenerator = {
  source: "activity",
  padColumn: "SORT",
  values(c) {
    inSession(c, "browser");
    const id15 = randomRecordId("00O", c.profile.instance, c.rnd);
    const id18 = toCaseSafeId(id15);
    const rows = c.rnd.between(0, c.rnd.chance(0.05) ? 200_000 : 2_000);
    return {
      URI: `/lightning/r/Report/${id18}/view`,
      URI_ID_DERIVED: id18,
      ENTITY_NAME: c.rnd.pick(ENTITIES),
      DISPLAY_TYPE: c.rnd.pick(["D", "S", "H"]),
      RENDERING_TYPE: c.rnd.pick(["W", "W", "W", "X", "C", "J"]),
      REPORT_ID: id15,
      REPORT_ID_DERIVED: id18,
      ROW_COUNT: String(rows),
      NUMBER_EXCEPTION_FILTERS: "0",
      NUMBER_COLUMNS: num(c.rnd, 3, 25),
      AVERAGE_ROW_SIZE: num(c.rnd, 40, 600),
      SORT: c.rnd.pick(["Amount DESC", "CloseDate ASC", "Name ASC", ""]),
      NUMBER_BUCKETS: "0",
      ORIGIN: c.rnd.pick(REPORT_ORIGINS),
      UI_NUMBER_COLUMNS: num(c.rnd, 3, 25),
    };
  },
};

const REPORT_EXPORT: EventGenerator = {
  source: "activity",
  padColumn: "REPORT_DESCRIPTION",
  values(c) {
    inSession(c, "browser");
    const id15 = randomRecordId("00O", c.profile.instance, c.rnd);
    return {
      URI: `/${id15}`,
      URI_ID_DERIVED: toCaseSafeId(id15),
      CLIENT_INFO: "",
      REPORT_DESCRIPTION: c.rnd.pick([
        'Pipeline by "Stage" this quarter',
        "All open cases, by owner",
        'Contacts without e-mail, exported for the "clean-up" campaign',
        "",
      ]),
    };
  },
};

const CLASSIC_PAGES = [
  "/home/home.jsp",
  "/001/o",
  "/006/o",
  "/setup/forcecomHomepage.apexp",
  "/_ui/search/ui/UnifiedSearchResults",
];

const URI: EventGenerator = {
  source: "activity",
  padColumn: "REFERRER_URI",
  values(c) {
    inSession(c, "browser");
    const onRecord = c.rnd.chance(0.45);
    const record = recordOf(c, c.rnd.pick(ENTITIES));
    const status = c.rnd.weighted({
      entries: [
        ["S", 90],
        ["R", 6],
        ["N", 2],
        ["F", 2],
      ],
      total: 100,
    });
    return {
      URI: onRecord ? `/${record.id15}` : c.rnd.pick(CLASSIC_PAGES),
      URI_ID_DERIVED: onRecord ? record.id18 : "",
      REQUEST_STATUS: status,
      REFERRER_URI: c.rnd.chance(0.7) ? `https://${c.profile.myDomain}${c.rnd.pick(CLASSIC_PAGES)}` : "",
    };
  },
};

const LIGHTNING_PAGES = [
  ["Account", "one:recordHomeFlexipage2Wrapper"],
  ["Opportunity", "one:recordHomeFlexipage2Wrapper"],
  ["Case", "one:recordHomeFlexipage2Wrapper"],
  ["", "home:landing"],
  ["Report", "lst:objectHomeWrapper"],
] as const;

const LIGHTNING_PAGE_VIEW: EventGenerator = {
  source: "activity",
  padColumn: "PAGE_URL",
  values(c) {
    const session = inSession(c, "browser");
    const browser = session?.browser;
    const [entity, context] = c.rnd.pick(LIGHTNING_PAGES);
    const [prevEntity, prevContext] = c.rnd.pick(LIGHTNING_PAGES);
    const record = entity === "" ? undefined : recordOf(c, entity);
    const previous = prevEntity === "" ? undefined : recordOf(c, prevEntity);
    const duration = c.rnd.between(300, 12_000);
    const start = c.time - duration;
    const deviation = c.rnd.chance(0.1);
    return {
      APP_NAME: "one:one",
      DEVICE_PLATFORM: browser?.osName === "IOS" ? "SFX:MOBILE:PHONE" : "SFX:BROWSER:DESKTOP",
      OS_NAME: browser?.osName ?? "",
      OS_VERSION: browser?.osVersion ?? "",
      BROWSER_NAME: browser?.name ?? "",
      BROWSER_VERSION: browser?.version ?? "",
      CLIENT_GEO: COUNTRY_GEO[session?.country ?? ""] ?? "",
      UI_EVENT_SOURCE: "",
      UI_EVENT_TIMESTAMP: String(c.time),
      UI_EVENT_SEQUENCE_NUM: num(c.rnd, 1, 400),
      UI_EVENT_ID: "ltng:pageView",
      DEVICE_SESSION_ID: `${c.requestId.slice(0, 8).toLowerCase()}-${c.requestId.slice(8, 12).toLowerCase()}`,
      PAGE_START_TIME: String(start),
      DURATION: String(duration),
      EFFECTIVE_PAGE_TIME: String(Math.floor(duration * 0.8)),
      EFFECTIVE_PAGE_TIME_DEVIATION: bool(deviation),
      EFFECTIVE_PAGE_TIME_DEVIATION_REASON: deviation ? "PageInBackground" : "",
      EFFECTIVE_PAGE_TIME_DEVIATION_ERROR_TYPE: "",
      PAGE_ENTITY_ID: record?.id18 ?? "",
      PAGE_ENTITY_TYPE: entity,
      PAGE_CONTEXT: context,
      PAGE_URL: record ? `/lightning/r/${entity}/${record.id18}/view` : "/lightning/page/home",
      PAGE_APP_NAME: "LightningSales",
      PREVPAGE_ENTITY_ID: previous?.id18 ?? "",
      PREVPAGE_ENTITY_TYPE: prevEntity,
      PREVPAGE_CONTEXT: prevContext,
      PREVPAGE_URL: previous ? `/lightning/r/${prevEntity}/${previous.id18}/view` : "/lightning/page/home",
      PREVPAGE_APP_NAME: "LightningSales",
    };
  },
};

const FILE_TYPES = ["PDF", "WORD_X", "EXCEL_X", "PNG", "JPG", "CSV", "ZIP", "POWER_POINT_X"];

const CONTENT_TRANSFER: EventGenerator = {
  source: "activity",
  padColumn: "FILE_TYPE",
  values(c) {
    inSession(c, c.rnd.chance(0.8) ? "browser" : "api");
    const transaction = c.rnd.pick([
      "VersionDownloadAction",
      "VersionDownloadApi",
      "VersionRenditionDownload",
      "saveVersion",
    ]);
    const document = randomRecordId("069", c.profile.instance, c.rnd);
    const version = randomRecordId("068", c.profile.instance, c.rnd);
    return {
      TRANSACTION_TYPE: transaction,
      DOCUMENT_ID: document,
      VERSION_ID: version,
      FILE_TYPE: c.rnd.pick(FILE_TYPES),
      FILE_PREVIEW_TYPE:
        transaction === "VersionRenditionDownload"
          ? c.rnd.pick(["THUMB120BY90", "THUMB720BY480", "SVGZ"])
          : "",
      SIZE_BYTES: num(c.rnd, 2_000, 40_000_000),
      DOCUMENT_ID_DERIVED: toCaseSafeId(document),
      VERSION_ID_DERIVED: toCaseSafeId(version),
    };
  },
};

const DOCUMENT_ATTACHMENT_DOWNLOADS: EventGenerator = {
  source: "activity",
  padColumn: "FILE_TYPE",
  values(c) {
    inSession(c, "browser");
    return {
      ENTITY_ID: randomRecordId(c.rnd.chance(0.6) ? "00P" : "015", c.profile.instance, c.rnd),
      FILE_TYPE: c.rnd.pick(["application/pdf", "image/png", "text/csv", "application/vnd.ms-excel"]),
    };
  },
};

const APEX_CLASSES = [
  "AccountTriggerHandler",
  "OpportunityService",
  "LeadRoutingQueueable",
  "NightlyCleanupBatch",
  "InvoiceSync",
];

const APEX_EXECUTION: EventGenerator = {
  source: "activity",
  padColumn: "ENTRY_POINT",
  values(c) {
    const asynchronous = c.rnd.chance(0.4);
    if (asynchronous) asPlatform(c);
    else inSession(c, "browser");
    const cls = c.rnd.pick(APEX_CLASSES);
    const exec = c.rnd.between(5, asynchronous ? 60_000 : 8_000);
    return {
      URI: asynchronous ? "" : `/apex/${cls}Page`,
      CALLOUT_TIME: c.rnd.chance(0.2) ? num(c.rnd, 50, 3000) : "0",
      ENTRY_POINT: asynchronous ? `${cls}.execute` : `VF- /apex/${cls}Page`,
      EXEC_TIME: String(exec),
      IS_LONG_RUNNING_REQUEST: bool(exec > 5000),
      NUMBER_SOQL_QUERIES: num(c.rnd, 0, 100),
      QUIDDITY: asynchronous ? c.rnd.pick(["B", "Q", "S", "F"]) : c.rnd.pick(["V", "R", "A"]),
    };
  },
};

const APEX_CALLOUT: EventGenerator = {
  source: "activity",
  padColumn: "URL",
  values(c) {
    if (c.rnd.chance(0.5)) asPlatform(c);
    else inSession(c, "browser");
    const ok = c.rnd.chance(0.93);
    const method = c.rnd.pick(["GET", "POST", "PUT"]);
    return {
      URI: "CALLOUT-LOG",
      TYPE: c.rnd.pick(["REST", "REST", "OData", "SOAP"]),
      SUCCESS: bool(ok),
      TIME: num(c.rnd, 20, 10_000),
      METHOD: method,
      URL: `https://${c.rnd.pick(["api.payments.example.com", "erp.example.net", "geo.example.org"])}/v2/${c.rnd.pick(["orders", "invoices", "lookup"])}`,
      REQUEST_SIZE: method === "GET" ? "0" : num(c.rnd, 20, 40_000),
      RESPONSE_SIZE: num(c.rnd, 2, 500_000),
      STATUS_CODE: ok ? "200" : c.rnd.pick(["401", "500", "503", "504"]),
    };
  },
};

const EXCEPTIONS = [
  ["System.NullPointerException", "Attempt to de-reference a null object", "System.NullPointerException"],
  ["System.LimitException", "Too many SOQL queries: 101", "LimitException: Queries"],
  ["System.LimitException", "Apex CPU time limit exceeded", "LimitException: CpuTime"],
  [
    "System.DmlException",
    'Insert failed. First exception on row 0; first error: FIELD_CUSTOM_VALIDATION_EXCEPTION, "Close Date" must be in the future: [CloseDate]',
    "System.DmlException",
  ],
  ["System.CalloutException", "Read timed out\nafter 120000 ms", "System.CalloutException"],
] as const;

const APEX_UNEXPECTED_EXCEPTION: EventGenerator = {
  source: "activity",
  padColumn: "EXCEPTION_MESSAGE",
  values(c) {
    if (c.rnd.chance(0.6)) asPlatform(c);
    else inSession(c, "browser");
    const [type, message, category] = c.rnd.pick(EXCEPTIONS);
    const cls = c.rnd.pick(APEX_CLASSES);
    const frames = [`Class.${cls}.run: line ${c.rnd.between(10, 400)}, column 1`];
    if (c.rnd.chance(0.7))
      frames.push(`Class.${c.rnd.pick(APEX_CLASSES)}.execute: line ${c.rnd.between(5, 90)}, column 1`);
    if (c.rnd.chance(0.3))
      frames.push(`Trigger.${c.rnd.pick(ENTITIES)}Trigger: line ${c.rnd.between(2, 30)}, column 1`);
    return {
      EXCEPTION_TYPE: type,
      EXCEPTION_MESSAGE: message,
      STACK_TRACE: frames.join("\n"),
      EXCEPTION_CATEGORY: category,
    };
  },
};

const SITE_PAGES = [
  "/support/s/",
  "/support/s/article/Reset-your-password",
  "/support/s/contactsupport",
  "/support/login",
];
const VISITOR_COUNTRIES = Object.keys(COUNTRY_BLOCKS);

const SITES: EventGenerator = {
  source: "activity",
  padColumn: "QUERY",
  values(c) {
    // Public pages are served to anonymous visitors: the site's guest user, no session keys.
    c.session = undefined;
    c.user = c.profile.siteGuest;
    c.clientIp = addressIn(c.rnd.pick(VISITOR_COUNTRIES), c.rnd);
    const page = c.rnd.pick(SITE_PAGES);
    const error = c.rnd.chance(0.04);
    const post = c.rnd.chance(0.2);
    return {
      URI: page,
      USER_TYPE: "Guest",
      REQUEST_STATUS: error ? "F" : "S",
      HTTP_METHOD: post ? "POST" : "GET",
      IS_GUEST: "1",
      IS_ERROR: bool(error),
      IS_FIRST_REQUEST: bool(c.rnd.chance(0.3)),
      IS_SECURE: "1",
      IS_API: "0",
      PAGE_NAME: page.split("/").pop() || "home",
      QUERY: c.rnd.chance(0.4) ? `language=en_US&q=${c.rnd.pick(["invoice", "password", "refund"])}` : "",
      REQUEST_TYPE: c.rnd.pick(["page", "page", "resource", "aura"]),
      SITE_ID: `0DM${c.profile.instance}000000${c.profile.orgId15.slice(-4)}`,
      HTTP_HEADERS: `Accept-Language: ${c.rnd.pick(["en-US,en;q=0.9", "fr-FR,fr;q=0.8", "de-DE"])}\nReferer: https://www.google.com/`,
    };
  },
};

export const GENERATORS: Record<string, EventGenerator> = {
  Login: LOGIN,
  LoginAs: LOGIN_AS,
  Logout: LOGOUT,
  API,
  RestApi: REST_API,
  ApexRestApi: APEX_REST_API,
  ApiTotalUsage: API_TOTAL_USAGE,
  BulkApi: BULK_API,
  Report: REPORT,
  ReportExport: REPORT_EXPORT,
  URI,
  LightningPageView: LIGHTNING_PAGE_VIEW,
  ContentTransfer: CONTENT_TRANSFER,
  DocumentAttachmentDownloads: DOCUMENT_ATTACHMENT_DOWNLOADS,
  ApexExecution: APEX_EXECUTION,
  ApexCallout: APEX_CALLOUT,
  ApexUnexpectedException: APEX_UNEXPECTED_EXCEPTION,
  Sites: SITES,
};
