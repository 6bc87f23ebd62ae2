/**
 * Where a column lands and with which type, for the columns that have one obvious place. Columns
 * with a precedence between them (addresses, times, URLs, HTTP methods, users, user agents) are
 * resolved per row in plan.ts; every other column lands at `salesforce.<column in snake case>`.
 */

export type ColumnType = "keyword" | "long" | "float" | "boolean";

/**
 * Direct placements. The ECS and `salesforce.*` names are Sekoia.io's choices (its Salesforce
 * format maps these columns), so someone moving from Sekoia.io finds the same fields.
 */
export const DIRECT_FIELDS: Readonly<Record<string, string>> = {
  ORGANIZATION_ID: "organization.id",
  USER_ID: "user.id",
  MESSAGE: "event.reason",
  UI_EVENT_ID: "event.code",
  APP_NAME: "network.application",
  CIPHER_SUITE: "tls.cipher",
  DEVICE_ID: "host.id",
  OS_NAME: "host.os.name",
  OS_VERSION: "host.os.version",
  REQUEST_SIZE: "http.request.bytes",
  RESPONSE_SIZE: "http.response.bytes",
  MEDIA_TYPE: "http.response.mime_type",
  STATUS_CODE: "http.response.status_code",
  HTTP_REFERER: "http.request.referrer",
  REFERRER_URI: "http.request.referrer",
  BROWSER_NAME: "user_agent.name",
  BROWSER_VERSION: "user_agent.version",
  API_TYPE: "salesforce.api.type",
  API_VERSION: "salesforce.api.version",
  CLIENT_ID: "salesforce.client.id",
  DEVICE_MODEL: "salesforce.device.model",
  DEVICE_PLATFORM: "salesforce.device.platform",
  ENTITY_NAME: "salesforce.entity.name",
  USER_TYPE: "salesforce.user.type",
  USER_INITIATED_LOGOUT: "salesforce.user.initiated_logout",
  COMPONENT_NAME: "salesforce.component.name",
  CONNECTION_TYPE: "salesforce.connection.type",
  CONTROLLER_TYPE: "salesforce.controller.type",
  LOGIN_KEY: "salesforce.login.key",
  LOGIN_STATUS: "salesforce.login.status",
  LOGIN_SUB_TYPE: "salesforce.login.sub_type",
  METHOD_NAME: "salesforce.method.name",
  CLASS_NAME: "salesforce.class.name",
  OBJECT_TYPE: "salesforce.object.type",
  OPERATION_TYPE: "salesforce.operation.type",
  SESSION_KEY: "salesforce.session.key.id",
  QUIDDITY: "salesforce.quiddity.name",
  REFERER_URI: "salesforce.referer.uri",
  REQUEST_ID: "salesforce.request.id",
  REQUEST_STATUS: "salesforce.request.status",
  API_RESOURCE: "salesforce.request.resource",
  DML_TYPE: "salesforce.dml.type",
  DOCUMENT_ID: "salesforce.document.id",
  FIRST_ENTITY_ID: "salesforce.entity.id",
  TRANSACTION_TYPE: "salesforce.transaction.type",
};

/** Columns Salesforce documents as Number. An integer-only column is a long, others a float. */
const LONG_COLUMNS = [
  "ACTION_MESSAGE_LENGTH",
  "APP_TYPE",
  "AVERAGE_ROW_SIZE",
  "CLIENT_VERSION",
  "COLUMN_NUMBER",
  "DB_BLOCKS",
  "DB_TOTAL_TIME",
  "LINE_NUMBER",
  "NUM_RESULTS",
  "NUM_ROWS",
  "NUMBER_BUCKETS",
  "NUMBER_COLUMNS",
  "NUMBER_EXCEPTION_FILTERS",
  "NUMBER_FAILURES",
  "NUMBER_FIELDS",
  "NUMBER_REQUESTS",
  "NUMBER_SOQL_QUERIES",
  "PAGE_START_TIME",
  "PLATFORM_TYPE",
  "RANK",
  "RECORDS_FAILED",
  "RECORDS_PROCESSED",
  "REQUEST_SIZE",
  "REQUESTS_LIMIT",
  "RESOLUTION_TYPE",
  "RESPONSE_SIZE",
  "ROW_COUNT",
  "ROWS_PROCESSED",
  "SAMPLE_FACTOR",
  "SIZE_BYTES",
  "STATUS_CODE",
  "UI_EVENT_SEQUENCE_NUM",
  "UI_EVENT_TIMESTAMP",
  "UI_NUMBER_COLUMNS",
  "USER_AGENT",
];

/** Durations in milliseconds and other measures that Salesforce may write with decimals. */
const FLOAT_COLUMNS = [
  "CALLOUT_TIME",
  "CPU_TIME",
  "DB_CPU_TIME",
  "DURATION",
  "EFFECTIVE_PAGE_TIME",
  "EFFECTIVE_PAGE_TIME_DEVIATION",
  "EVALUATION_TIME_MS",
  "EXEC_TIME",
  "RESULT_SIZE_MB",
  "RUN_TIME",
  "TIME",
];

const BOOLEAN_COLUMNS = [
  "COUNTS_AGAINST_API_LIMIT",
  "IS_API",
  "IS_BLOCKED_REDIRECTION",
  "IS_ERROR",
  "IS_FIRST_REQUEST",
  "IS_GUEST",
  "IS_LONG_RUNNING_REQUEST",
  "IS_MANAGED",
  "IS_PUSH",
  "IS_RELEASED",
  "IS_SCHEDULED",
  "IS_SECURE",
  "IS_SUCCESS",
  "IS_SUCCESSFUL",
  "SUCCESS",
  "USER_INITIATED_LOGOUT",
];

const KNOWN_TYPES = new Map<string, ColumnType>([
  ...LONG_COLUMNS.map((c) => [c, "long"] as const),
  ...FLOAT_COLUMNS.map((c) => [c, "float"] as const),
  ...BOOLEAN_COLUMNS.map((c) => [c, "boolean"] as const),
]);

/**
 * The type a column's values take. The known table wins over LogFileFieldTypes so that one field
 * keeps one type across event types and API versions (a search index rejects a field that is a
 * number in one document and text in the next); an unknown column follows LogFileFieldTypes, and
 * is a keyword without it.
 */
export function columnType(column: string, logFileFieldType?: string): ColumnType {
  const known = KNOWN_TYPES.get(column);
  if (known !== undefined) return known;
  switch (logFileFieldType?.toLowerCase()) {
    case "number":
      return "float";
    case "boolean":
      return "boolean";
    default:
      return "keyword";
  }
}

/** Converts a value written by Salesforce to its column type; undefined when it does not fit. */
export function convert(type: ColumnType, value: string): string | number | boolean | undefined {
  switch (type) {
    case "keyword":
      return value;
    case "long": {
      const n = Number(value);
      return Number.isSafeInteger(n) && value.trim() !== "" ? n : undefined;
    }
    case "float": {
      const n = Number(value);
      return Number.isFinite(n) && value.trim() !== "" ? n : undefined;
    }
    case "boolean":
      return parseBoolean(value);
  }
}

/** Salesforce writes booleans as "1"/"0"; some exports and Sekoia.io's samples use true/false. */
export function parseBoolean(value: string): boolean | undefined {
  switch (value.toLowerCase()) {
    case "1":
    case "true":
      return true;
    case "0":
    case "false":
      return false;
    default:
      return undefined;
  }
}

/** `salesforce.<column in snake case>`: the place of a column nothing else claims. */
export function snakeCase(column: string): string {
  return column
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_");
}

/**
 * The Event Log File column name of an object field: Salesforce names the same datum `SourceIp`
 * in LoginEvent and `SOURCE_IP` in the Login file, `SessionKey` and `SESSION_KEY`, so a record
 * field finds the place of its column. A relationship's field (`CreatedBy.Username`) joins with `_`.
 */
export function elfColumnName(field: string): string {
  let column = COLUMN_NAMES.get(field);
  if (column === undefined) {
    column = field
      .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
      .replace(/([A-Z])([A-Z][a-z])/g, "$1_$2")
      .replace(/[^A-Za-z0-9]+/g, "_")
      .toUpperCase();
    // Field names are a few hundred across every object; the bound only guards against a surprise.
    if (COLUMN_NAMES.size >= 10_000) COLUMN_NAMES.clear();
    COLUMN_NAMES.set(field, column);
  }
  return column;
}

/** elfColumnName's answers: it runs for every field of every record the Sekoia.io output sends. */
const COLUMN_NAMES = new Map<string, string>();
