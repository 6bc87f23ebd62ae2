/**
 * ECS categorization of each event type: one small row per type, and a fallback for any other.
 * `action` is the default event.action; a row's own action column (UI_EVENT_TYPE, ACTION,
 * DML_TYPE, TRANSACTION_TYPE) says more and wins.
 */
export interface EventClass {
  category: readonly string[];
  type: readonly string[];
  action: string;
  /** The outcome when the event type alone decides it (an exception is always a failure). */
  outcome?: "success" | "failure";
}

const web = (action: string): EventClass => ({ category: ["web"], type: ["access"], action });
const file = (action: string): EventClass => ({ category: ["file"], type: ["access"], action });

const CLASSES: Readonly<Record<string, EventClass>> = {
  Login: { category: ["authentication"], type: ["start"], action: "login" },
  LoginAs: { category: ["authentication", "iam"], type: ["start", "admin"], action: "login-as" },
  Logout: { category: ["authentication", "session"], type: ["end"], action: "logout", outcome: "success" },
  API: web("soap-api-request"),
  RestApi: web("rest-api-request"),
  ApexRestApi: web("apex-rest-request"),
  ApexSoap: web("apex-soap-request"),
  ApiTotalUsage: web("api-request"),
  BulkApi: web("bulk-api-request"),
  BulkApi2: web("bulk-api-2-request"),
  BulkApiRequest: web("bulk-api-job-request"),
  MetadataApiOperation: { category: ["configuration"], type: ["access"], action: "metadata-api-operation" },
  Report: { category: ["database"], type: ["access"], action: "report-run" },
  ReportExport: file("report-export"),
  Dashboard: { category: ["database"], type: ["access"], action: "dashboard-run" },
  URI: web("page-view"),
  LightningPageView: web("page-view"),
  VisualforceRequest: web("visualforce-request"),
  Sites: web("site-request"),
  ContentTransfer: file("content-transfer"),
  DocumentAttachmentDownloads: file("document-download"),
  DatabaseSave: { category: ["database"], type: ["change"], action: "record-save" },
  ApexExecution: { category: ["process"], type: ["info"], action: "apex-execution" },
  ApexTrigger: { category: ["process"], type: ["info"], action: "apex-trigger" },
  ApexCallout: { category: ["network"], type: ["connection"], action: "apex-callout" },
  ApexUnexpectedException: {
    category: ["process"],
    type: ["error"],
    action: "apex-unexpected-exception",
    outcome: "failure",
  },
  PermissionUpdate: { category: ["iam"], type: ["change"], action: "permission-update" },
  GroupMembership: { category: ["iam"], type: ["group", "change"], action: "group-membership-change" },
  PackageInstall: { category: ["package"], type: ["installation"], action: "package-install" },
};

/**
 * Sekoia.io's defaults for any other type: nothing more specific can be said of an event type
 * this table does not know, and the action is the event type in kebab case.
 */
function fallback(eventType: string): EventClass {
  const action = eventType
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .toLowerCase();
  return { category: ["network"], type: ["info"], action };
}

export function eventClass(eventType: string): EventClass {
  return Object.hasOwn(CLASSES, eventType) ? CLASSES[eventType] : fallback(eventType);
}
