/**
 * The ECS mapping of each Salesforce object the objects source reads: one declarative row per
 * object. Fields every object shares (SourceIp, Username, the geo fields, ...) are placed by
 * record-plan.ts; a row here says only what is the object's own: its class, the field naming its
 * instant and its identity, its outcome, and the fields with an ECS place of their own.
 */

export interface ObjectMapping {
  kind: "event" | "alert";
  category: readonly string[];
  type: readonly string[];
  /** event.action when the record's own action field (in `fields`) is empty. */
  action: string;
  /** Where it comes from: Real-Time Event Monitoring, Threat Detection, or the object itself. */
  provider: string;
  /** The field naming the instant of the activity: @timestamp. */
  time: string;
  /** The field the same event read twice has the same value in: event.id. */
  identity: "EventIdentifier" | "Id";
  /**
   * event.outcome: always success, or from one field: success for the values listed, failure for
   * the failures listed (for any other value when none is).
   */
  outcome?: "success" | { field: string; success: readonly string[]; failure?: readonly string[] };
  /** A refused login starts no session: event.type when the outcome is failure. */
  typeOnFailure?: readonly string[];
  /** A 0-to-1 anomaly score: event.risk_score, and event.severity on a 0-100 scale. */
  score?: string;
  /** The object's fields with an ECS place, by field name. */
  fields?: Readonly<Record<string, string>>;
}

const RTEM = "RealTimeEventMonitoring";
const THREAT = "ThreatDetection";
const LOGIN_SUCCESS = { field: "Status", success: ["Success"] };

const rtem = (m: Omit<ObjectMapping, "kind" | "provider" | "time" | "identity">): ObjectMapping => ({
  kind: "event",
  provider: RTEM,
  time: "EventDate",
  identity: "EventIdentifier",
  ...m,
});

const dataAccess = (action: string, category = "database", fields?: Record<string, string>) =>
  rtem({ category: [category], type: ["access"], action, fields: { Operation: "event.action", ...fields } });

/** A Threat Detection store: an alert Salesforce's models raised, with its score and summary. */
const threat = (action: string, category: string): ObjectMapping => ({
  kind: "alert",
  category: ["intrusion_detection", category],
  type: ["info"],
  action,
  provider: THREAT,
  time: "EventDate",
  identity: "EventIdentifier",
  score: "Score",
  fields: { Summary: "message" },
});

const MAPPINGS: Readonly<Record<string, ObjectMapping>> = {
  LoginEvent: rtem({
    category: ["authentication"],
    type: ["start"],
    action: "login",
    outcome: LOGIN_SUCCESS,
    typeOnFailure: ["info"],
  }),
  LogoutEvent: rtem({
    category: ["authentication", "session"],
    type: ["end"],
    action: "logout",
    outcome: "success",
  }),
  LoginAsEvent: rtem({ category: ["authentication", "iam"], type: ["start", "admin"], action: "login-as" }),
  ApiEvent: dataAccess("api-request"),
  ReportEvent: dataAccess("report-run"),
  ListViewEvent: dataAccess("list-view-run"),
  BulkApiResultEventStore: dataAccess("bulk-api-result-download"),
  FileEventStore: dataAccess("file-access", "file", { FileAction: "event.action", FileName: "file.name" }),
  UriEvent: rtem({
    category: ["web"],
    type: ["access"],
    action: "page-view",
    fields: { Operation: "event.action", Uri: "url.path", Referrer: "http.request.referrer" },
  }),
  LightningUriEvent: rtem({
    category: ["web"],
    type: ["access"],
    action: "page-view",
    fields: {
      Operation: "event.action",
      PageUrl: "url.path",
      PreviousPageUrl: "http.request.referrer",
      PageStartTime: "event.start",
    },
  }),
  PermissionSetEventStore: rtem({
    category: ["iam"],
    type: ["change"],
    action: "permission-set-change",
    fields: { Operation: "event.action" },
  }),
  IdentityVerificationEvent: rtem({
    category: ["authentication"],
    type: ["info"],
    action: "identity-verification",
    outcome: {
      field: "Status",
      success: ["Succeeded", "AutomatedSuccess"],
      failure: ["Failed", "Denied", "FailedTooManyAttempts", "FailedGeneralError", "ReportedDenied"],
    },
    fields: { Activity: "event.action" },
  }),
  ApiAnomalyEventStore: threat("api-anomaly", "web"),
  CredentialStuffingEventStore: threat("credential-stuffing", "authentication"),
  ReportAnomalyEventStore: threat("report-anomaly", "database"),
  SessionHijackingEventStore: threat("session-hijacking", "session"),
  LoginAnomalyEventStore: threat("login-anomaly", "authentication"),
  GuestUserAnomalyEventStore: threat("guest-user-anomaly", "web"),
  SetupAuditTrail: {
    kind: "event",
    category: ["configuration"],
    type: ["change"],
    action: "setup-change",
    provider: "SetupAuditTrail",
    time: "CreatedDate",
    identity: "Id",
    // The actor: who made the change; DelegateUser, the administrator logged in as them, is related.
    fields: {
      Action: "event.action",
      Display: "message",
      CreatedById: "user.id",
      "CreatedBy.Username": "user.name",
    },
  },
  LoginHistory: {
    kind: "event",
    category: ["authentication"],
    type: ["start"],
    action: "login",
    provider: "LoginHistory",
    time: "LoginTime",
    identity: "Id",
    outcome: LOGIN_SUCCESS,
    typeOnFailure: ["info"],
  },
};

/** The mapping of an object; one this table does not know is an event with its own name as action. */
export function objectMapping(object: string): ObjectMapping {
  if (Object.hasOwn(MAPPINGS, object)) return MAPPINGS[object];
  const action = object
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .toLowerCase();
  return {
    kind: "event",
    category: ["network"],
    type: ["info"],
    action,
    provider: object,
    time: "EventDate",
    identity: "EventIdentifier",
  };
}
