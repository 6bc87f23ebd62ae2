import { isIP } from "node:net";

/**
 * Which of an event's keys Sekoia.io's Salesforce format extracts into a field, by its published
 * rules (../shared/docs/reference/sekoia-parser-rules.md, A.1): enough to count, for an event sent
 * one way or another, how many of its values reach a field of their own. Keys the format reads
 * only with a value of some shape say so; every other key stays in the raw message only.
 */
const EXTRACTED: Readonly<Record<string, string>> = {
  TIMESTAMP_DERIVED: "@timestamp",
  TIMESTAMP: "@timestamp",
  LOGIN_TIME: "@timestamp",
  PAGE_START_TIME: "event.start",
  EVENT_TYPE: "event.dataset",
  MESSAGE: "event.reason",
  UI_EVENT_ID: "event.code",
  UI_EVENT_TYPE: "event.action",
  ACTION: "event.action",
  DML_TYPE: "event.action",
  TRANSACTION_TYPE: "event.action",
  IP_ADDRESS: "source.ip",
  CLIENT_IP: "source.ip",
  SOURCE_IP: "source.ip",
  CLIENT_GEO: "source.geo.country_name",
  HTTP_METHOD: "http.request.method",
  METHOD: "http.request.method",
  API_METHOD: "http.request.method",
  REQUEST_SIZE: "http.request.bytes",
  RESPONSE_SIZE: "http.response.bytes",
  MEDIA_TYPE: "http.response.mime_type",
  STATUS_CODE: "http.response.status_code",
  PAGE_URL: "url.path",
  URI: "url.path",
  API_ENDPOINT: "url.path",
  QUERY: "url.query",
  LOGIN_URL: "url.original",
  REPORT_URL: "url.original",
  APP_NAME: "network.application",
  CIPHER_SUITE: "tls.cipher",
  TLS_PROTOCOL: "tls.version",
  DURATION: "event.duration",
  EXEC_TIME: "event.duration",
  USER_ID: "user.id",
  USERNAME: "user.name",
  USER_NAME: "user.name",
  USER: "user.email",
  BROWSER_NAME: "user_agent.name",
  BROWSER_VERSION: "user_agent.version",
  BROWSER_TYPE: "user_agent.original",
  USER_AGENT: "salesforce.user_agent",
  DEVICE_ID: "host.id",
  OS_NAME: "host.os.name",
  OS_VERSION: "host.os.version",
  ORGANIZATION_ID: "organization.id",
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
  DOCUMENT_ID: "salesforce.document.id",
  FIRST_ENTITY_ID: "salesforce.entity.id",
};

/** A value the format's rule for this key takes as it is meant (not cut, cast to 0 or a wrong date). */
function readable(key: string, value: unknown): boolean {
  const text = String(value);
  switch (key) {
    case "IP_ADDRESS":
    case "CLIENT_IP":
    case "SOURCE_IP":
      return isIP(text) !== 0;
    case "QUERY":
      return text.startsWith("?");
    case "CLIENT_GEO":
      return text.includes("/");
    case "USER_AGENT":
      return /^\d+$/.test(text);
    case "TIMESTAMP":
      // The compact form is read as a number of seconds (a date in 2034): only ISO text is a date.
      return /^\d{4}-\d\d-\d\dT/.test(text);
    default:
      return true;
  }
}

/** The ECS fields the format fills from one event, by the key each comes from. */
export function sekoiaExtracted(event: Record<string, unknown>): Map<string, string> {
  const fields = new Map<string, string>();
  for (const [key, value] of Object.entries(event)) {
    if (value === null || value === "" || !Object.hasOwn(EXTRACTED, key) || !readable(key, value)) continue;
    let field = EXTRACTED[key];
    if (key === "USER_NAME" && String(value).includes("@")) field = "user.email";
    fields.set(key, field);
  }
  // Categorization the format derives from the type and the login status.
  const type = event.EVENT_TYPE;
  if (type === "Login") {
    fields.set("(EVENT_TYPE) category", "event.category");
    const status = event.LOGIN_STATUS;
    if (status === "Success" || status === "LOGIN_NO_ERROR")
      fields.set("(LOGIN_STATUS) outcome", "event.outcome");
  }
  if (type === "Logout") fields.set("(EVENT_TYPE) category", "event.category");
  return fields;
}
