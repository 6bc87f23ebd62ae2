/**
 * The Event Log File event types sfevents knows, with each type's CSV columns in the order real files
 * write them and the type Salesforce gives each column in `LogFileFieldTypes`.
 *
 * Where the order comes from: real files (and Elastic's and Sekoia.io's published samples of them)
 * start with a block of common columns (EVENT_TYPE, TIMESTAMP, REQUEST_ID, ORGANIZATION_ID, USER_ID,
 * RUN_TIME, CPU_TIME, URI, SESSION_KEY, LOGIN_KEY), then the type's own columns, then the derived
 * columns (TIMESTAMP_DERIVED, USER_ID_DERIVED, CLIENT_IP, URI_ID_DERIVED); columns added in later
 * releases (LOGIN_STATUS, SOURCE_IP, FORWARDED_FOR_IP on Login) come after those. Login, Logout,
 * RestApi/ApexRestApi, ApiTotalUsage and ContentTransfer follow published samples column for column;
 * the middle block of the other types keeps that layout with the columns the object reference lists,
 * so their exact inner order is an inference. The schema changes between releases: a collector must
 * read the header of each file (and LogFileFieldNames), never this table.
 *
 * Pure data: the normalizer, the benchmark and the simulator all read it.
 */

export interface EventLogColumn {
  name: string;
  /** In the vocabulary of LogFileFieldTypes: String, Number, Id, IP, EscapedString, Boolean, DateTime, Set, Text, Url. */
  type: string;
}

export interface EventTypeSchema {
  /** The EventType picklist value (also the EVENT_TYPE column's value). */
  eventType: string;
  /** Free for every org with API access (no Event Monitoring license needed). */
  free: boolean;
  /** In the order of the CSV header. */
  columns: EventLogColumn[];
}

/** Column types shared by every event type that has the column. */
const COMMON_TYPES: Record<string, string> = {
  EVENT_TYPE: "String",
  TIMESTAMP: "String",
  REQUEST_ID: "String",
  ORGANIZATION_ID: "Id",
  USER_ID: "Id",
  RUN_TIME: "Number",
  CPU_TIME: "Number",
  URI: "String",
  SESSION_KEY: "String",
  LOGIN_KEY: "String",
  USER_TYPE: "String",
  REQUEST_STATUS: "String",
  DB_TOTAL_TIME: "Number",
  DB_BLOCKS: "Number",
  DB_CPU_TIME: "Number",
  TIMESTAMP_DERIVED: "DateTime",
  USER_ID_DERIVED: "Id",
  // Not IP: internal traffic reads "Salesforce.com IP".
  CLIENT_IP: "String",
  URI_ID_DERIVED: "Id",
  API_TYPE: "String",
  API_VERSION: "String",
  BROWSER_TYPE: "String",
  USER_AGENT: "String",
  ENTITY_NAME: "Set",
  EXCEPTION_MESSAGE: "EscapedString",
  CLIENT_NAME: "String",
  REQUEST_SIZE: "Number",
  RESPONSE_SIZE: "Number",
  ROWS_PROCESSED: "Number",
  STATUS_CODE: "Number",
  SUCCESS: "Boolean",
  METHOD: "String",
  QUERY: "EscapedString",
};

const HEAD = [
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
];
const TAIL = ["TIMESTAMP_DERIVED", "USER_ID_DERIVED", "CLIENT_IP", "URI_ID_DERIVED"];

/** A column list written as "NAME" (common type) or "NAME:Type". */
function columns(...names: string[]): EventLogColumn[] {
  return names.map((spec) => {
    const [name, type] = spec.split(":");
    const resolved = type ?? COMMON_TYPES[name];
    if (resolved === undefined) throw new Error(`event-types: no type for column ${name}`);
    return { name, type: resolved };
  });
}

/** The usual layout: common head, the type's own columns, derived tail, then later additions. */
function layout(own: string[], appended: string[] = []): EventLogColumn[] {
  return columns(...HEAD, ...own, ...TAIL, ...appended);
}

const REST_API_COLUMNS = layout([
  "USER_TYPE",
  "REQUEST_STATUS",
  "DB_TOTAL_TIME",
  "METHOD",
  "MEDIA_TYPE:String",
  "STATUS_CODE",
  "USER_AGENT",
  "ROWS_PROCESSED",
  "NUMBER_FIELDS:Number",
  "DB_BLOCKS",
  "DB_CPU_TIME",
  "REQUEST_SIZE",
  "RESPONSE_SIZE",
  "ENTITY_NAME",
  "CONNECTED_APP_ID:Id",
  "CLIENT_NAME",
  "EXCEPTION_MESSAGE",
]);

export const EVENT_TYPE_SCHEMAS: readonly EventTypeSchema[] = [
  {
    eventType: "Login",
    free: true,
    columns: layout(
      [
        "USER_TYPE",
        "REQUEST_STATUS",
        "DB_TOTAL_TIME",
        "LOGIN_TYPE:String",
        "BROWSER_TYPE",
        "API_TYPE",
        "API_VERSION",
        "USER_NAME:String",
        "TLS_PROTOCOL:String",
        "CIPHER_SUITE:String",
        "USE_API_TOKEN:String",
        "HTTP_REFERER:String",
        "LOGIN_URL:String",
        "COUNTRY_CODE:String",
        "AUTHENTICATION_METHOD_REFERENCE:String",
        "LOGIN_SUB_TYPE:String",
        "AUTHENTICATION_SERVICE_ID:Id",
        "AUTHENTICATION_CONTEXT_CLASS_REFERENCE:String",
      ],
      ["LOGIN_STATUS:String", "SOURCE_IP:IP", "FORWARDED_FOR_IP:String"],
    ),
  },
  {
    eventType: "LoginAs",
    free: false,
    columns: layout(["DELEGATED_USER_ID:Id", "DELEGATED_USER_NAME:String"], ["DELEGATED_USER_ID_DERIVED:Id"]),
  },
  {
    // Logout rows carry no RUN_TIME, CPU_TIME or URI, and their keys come late in the row.
    eventType: "Logout",
    free: true,
    columns: columns(
      "EVENT_TYPE",
      "TIMESTAMP",
      "REQUEST_ID",
      "ORGANIZATION_ID",
      "USER_ID",
      "USER_TYPE",
      "SESSION_TYPE:String",
      "SESSION_LEVEL:String",
      "BROWSER_TYPE",
      "PLATFORM_TYPE:Number",
      "RESOLUTION_TYPE:Number",
      "APP_TYPE:Number",
      "CLIENT_VERSION:Number",
      "API_TYPE",
      "API_VERSION",
      "USER_INITIATED_LOGOUT:Boolean",
      "SESSION_KEY",
      "LOGIN_KEY",
      "TIMESTAMP_DERIVED",
      "USER_ID_DERIVED",
      "CLIENT_IP",
    ),
  },
  {
    eventType: "API",
    free: false,
    columns: layout([
      "USER_TYPE",
      "REQUEST_STATUS",
      "DB_TOTAL_TIME",
      "API_TYPE",
      "API_VERSION",
      "METHOD_NAME:String",
      "ENTITY_NAME",
      "ROWS_PROCESSED",
      "REQUEST_SIZE",
      "RESPONSE_SIZE",
      "DB_BLOCKS",
      "DB_CPU_TIME",
      "CLIENT_NAME",
      "EXCEPTION_MESSAGE",
      "QUERY",
    ]),
  },
  { eventType: "RestApi", free: false, columns: REST_API_COLUMNS },
  { eventType: "ApexRestApi", free: false, columns: REST_API_COLUMNS },
  {
    // Its own short layout: no session columns at all.
    eventType: "ApiTotalUsage",
    free: true,
    columns: columns(
      "EVENT_TYPE",
      "TIMESTAMP",
      "REQUEST_ID",
      "ORGANIZATION_ID",
      "USER_ID",
      "API_FAMILY:String",
      "API_VERSION",
      "API_RESOURCE:String",
      "CLIENT_NAME",
      "HTTP_METHOD:String",
      "CLIENT_IP",
      "COUNTS_AGAINST_API_LIMIT:Boolean",
      "CONNECTED_APP_ID:Id",
      "ENTITY_NAME",
      "STATUS_CODE",
      "TIMESTAMP_DERIVED",
    ),
  },
  {
    eventType: "BulkApi",
    free: false,
    columns: layout([
      "ENTITY_TYPE:String",
      "OPERATION_TYPE:String",
      "JOB_ID:Id",
      "BATCH_ID:Id",
      "NUMBER_FAILURES:Number",
      "ROWS_PROCESSED",
      "SUCCESS",
      "MESSAGE:EscapedString",
    ]),
  },
  {
    eventType: "Report",
    free: false,
    columns: layout(
      [
        "USER_TYPE",
        "REQUEST_STATUS",
        "DB_TOTAL_TIME",
        "ENTITY_NAME",
        "DISPLAY_TYPE:String",
        "RENDERING_TYPE:String",
        "REPORT_ID:Id",
        "ROW_COUNT:Number",
        "NUMBER_EXCEPTION_FILTERS:Number",
        "NUMBER_COLUMNS:Number",
        "AVERAGE_ROW_SIZE:Number",
        "SORT:String",
        "DB_BLOCKS",
        "DB_CPU_TIME",
        "NUMBER_BUCKETS:Number",
        "ORIGIN:String",
        "UI_NUMBER_COLUMNS:Number",
      ],
      ["REPORT_ID_DERIVED:Id"],
    ),
  },
  {
    eventType: "ReportExport",
    free: false,
    columns: layout(["CLIENT_INFO:String", "REPORT_DESCRIPTION:String"]),
  },
  {
    eventType: "URI",
    free: false,
    columns: layout([
      "USER_TYPE",
      "REQUEST_STATUS",
      "DB_TOTAL_TIME",
      "REFERRER_URI:Url",
      "DB_BLOCKS",
      "DB_CPU_TIME",
    ]),
  },
  {
    // Lightning events come from the browser: no RUN_TIME, CPU_TIME or URI, and many UI columns.
    eventType: "LightningPageView",
    free: false,
    columns: columns(
      "EVENT_TYPE",
      "TIMESTAMP",
      "REQUEST_ID",
      "ORGANIZATION_ID",
      "USER_ID",
      "CLIENT_ID:String",
      "SESSION_KEY",
      "LOGIN_KEY",
      "USER_TYPE",
      "APP_NAME:String",
      "DEVICE_PLATFORM:String",
      "SDK_APP_VERSION:String",
      "OS_NAME:String",
      "OS_VERSION:String",
      "USER_AGENT",
      "BROWSER_NAME:String",
      "BROWSER_VERSION:String",
      "SDK_VERSION:String",
      "DEVICE_MODEL:String",
      "DEVICE_ID:String",
      "SDK_APP_TYPE:String",
      "CLIENT_GEO:String",
      "CONNECTION_TYPE:String",
      "UI_EVENT_SOURCE:String",
      "UI_EVENT_TIMESTAMP:Number",
      "UI_EVENT_SEQUENCE_NUM:Number",
      "UI_EVENT_ID:String",
      "DEVICE_SESSION_ID:String",
      "PAGE_START_TIME:Number",
      "DURATION:Number",
      "EFFECTIVE_PAGE_TIME:Number",
      "EFFECTIVE_PAGE_TIME_DEVIATION:Boolean",
      "EFFECTIVE_PAGE_TIME_DEVIATION_REASON:String",
      "EFFECTIVE_PAGE_TIME_DEVIATION_ERROR_TYPE:String",
      "PAGE_ENTITY_ID:Id",
      "PAGE_ENTITY_TYPE:String",
      "PAGE_CONTEXT:String",
      "PAGE_URL:Url",
      "PAGE_APP_NAME:String",
      "PREVPAGE_ENTITY_ID:Id",
      "PREVPAGE_ENTITY_TYPE:String",
      "PREVPAGE_CONTEXT:String",
      "PREVPAGE_URL:Url",
      "PREVPAGE_APP_NAME:String",
      "TARGET_UI_ELEMENT:String",
      "PARENT_UI_ELEMENT:String",
      "GRANDPARENT_UI_ELEMENT:String",
      "TIMESTAMP_DERIVED",
      "USER_ID_DERIVED",
      "CLIENT_IP",
    ),
  },
  {
    eventType: "ContentTransfer",
    free: false,
    columns: columns(
      "EVENT_TYPE",
      "TIMESTAMP",
      "REQUEST_ID",
      "TRANSACTION_TYPE:String",
      "ORGANIZATION_ID",
      "USER_ID",
      "DOCUMENT_ID:Id",
      "VERSION_ID:Id",
      "FILE_TYPE:String",
      "FILE_PREVIEW_TYPE:String",
      "SIZE_BYTES:Number",
      "TIMESTAMP_DERIVED",
      "USER_ID_DERIVED",
      "DOCUMENT_ID_DERIVED:Id",
      "VERSION_ID_DERIVED:Id",
    ),
  },
  {
    eventType: "DocumentAttachmentDownloads",
    free: false,
    columns: columns(
      "EVENT_TYPE",
      "TIMESTAMP",
      "REQUEST_ID",
      "ORGANIZATION_ID",
      "USER_ID",
      "ENTITY_ID:Id",
      "FILE_TYPE:String",
      "TIMESTAMP_DERIVED",
      "USER_ID_DERIVED",
    ),
  },
  {
    eventType: "ApexExecution",
    free: false,
    columns: layout([
      "CALLOUT_TIME:Number",
      "DB_TOTAL_TIME",
      "ENTRY_POINT:String",
      "EXEC_TIME:Number",
      "IS_LONG_RUNNING_REQUEST:Boolean",
      "NUMBER_SOQL_QUERIES:Number",
      "QUIDDITY:String",
    ]),
  },
  {
    eventType: "ApexCallout",
    free: false,
    columns: layout([
      "TYPE:String",
      "SUCCESS",
      "TIME:Number",
      "METHOD",
      "URL:Url",
      "REQUEST_SIZE",
      "RESPONSE_SIZE",
      "STATUS_CODE",
    ]),
  },
  {
    eventType: "ApexUnexpectedException",
    free: true,
    columns: columns(
      "EVENT_TYPE",
      "TIMESTAMP",
      "REQUEST_ID",
      "ORGANIZATION_ID",
      "USER_ID",
      "EXCEPTION_TYPE:String",
      "EXCEPTION_MESSAGE:Text",
      "STACK_TRACE:Text",
      "EXCEPTION_CATEGORY:String",
      "TIMESTAMP_DERIVED",
      "USER_ID_DERIVED",
    ),
  },
  {
    eventType: "Sites",
    free: false,
    columns: layout([
      "USER_TYPE",
      "REQUEST_STATUS",
      "DB_TOTAL_TIME",
      "HTTP_METHOD:String",
      "IS_GUEST:Boolean",
      "IS_ERROR:Boolean",
      "IS_FIRST_REQUEST:Boolean",
      "IS_SECURE:Boolean",
      "IS_API:Boolean",
      "PAGE_NAME:String",
      "QUERY",
      "REQUEST_TYPE:String",
      "SITE_ID:Id",
      "HTTP_HEADERS:EscapedString",
    ]),
  },
];

const BY_NAME = new Map(EVENT_TYPE_SCHEMAS.map((schema) => [schema.eventType, schema]));

export function eventTypeSchema(eventType: string): EventTypeSchema | undefined {
  return BY_NAME.get(eventType);
}
