import type { SoqlFieldType } from "../soql/index.js";
import type { FieldDescription } from "../server/sobject-json.js";

/**
 * The monitoring objects the simulated org serves besides EventLogFile, in one table: what kind of
 * object each is (big objects take only index queries), the API version that brought it, who may read
 * it, where its rows come from, and its fields in describe order. Field names and properties follow
 * Salesforce's object and field references (see docs/simulator.md for the sources and the gaps).
 */

/** big: an RTEM storage big object; standard: an ordinary, fully queryable object. */
export type ObjectKind = "big" | "standard";

/**
 * What reading the object takes. monitoring: the Shield or Event Monitoring add-on and the View
 * Real-Time Event Monitoring Data permission; setup: View Setup and Configuration; users: Manage Users.
 */
export type Access = "monitoring" | "setup" | "users";

/**
 * Where rows come from. login and logout follow the org's login attempts and session ends (the
 * very ones the Login and Logout Event Log Files show); activity is drawn from open sessions of
 * `channel` at its own rate; audit is Setup changes by the org's admins.
 */
export type RowSource = "login" | "logout" | "activity" | "audit";

/**
 * How long after the event its row is stored (CreatedDate, or when a row without one becomes
 * visible): realtime seconds, detection minutes (a model runs first), audit at once.
 */
export type StorageLag = "realtime" | "detection" | "audit";

export interface ObjectSpec {
  name: string;
  label: string;
  labelPlural: string;
  kind: ObjectKind;
  /** Key prefix of its Ids; big objects answer empty ids whatever it is. */
  keyPrefix: string;
  /** The first API version that has it. */
  since: number;
  access: Access;
  source: RowSource;
  /** For activity: the kind of session that makes the rows. */
  channel?: "browser" | "api";
  /** Default rows per hour for activity and audit (login and logout follow the sessions). */
  rate: number;
  lag: StorageLag;
  /** The field a cursor walks: EventDate, CreatedDate or LoginTime. */
  timestamp: "EventDate" | "CreatedDate" | "LoginTime";
  /** Big objects: the index paths a WHERE may walk, each from its first field and without gaps. */
  indexes?: readonly (readonly string[])[];
  fields: readonly FieldDescription[];
}

const LENGTH: Partial<Record<SoqlFieldType, number>> = { id: 18, reference: 18, string: 255, picklist: 255 };

/**
 * Fields written compactly: `Name` is a string, `Name:type` another type, a trailing `!f` makes it
 * not filterable, `!s` not sortable. Id, CreatedDate and EventDate are never null.
 */
function fields(spec: string): FieldDescription[] {
  return spec
    .trim()
    .split(/\s+/)
    .map((token) => {
      const [nameType, ...flags] = token.split("!");
      const [name, type = "string"] = nameType.split(":") as [string, SoqlFieldType?];
      const fieldType = type as SoqlFieldType;
      return {
        name,
        label: name.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/ Id$/, " ID"),
        type: fieldType,
        length: LENGTH[fieldType],
        filterable: !flags.includes("f"),
        sortable: !flags.includes("s"),
        groupable: fieldType === "picklist" || fieldType === "reference" || fieldType === "boolean",
        nillable: !["Id", "CreatedDate", "EventDate"].includes(name),
        referenceTo: fieldType === "reference" ? "User" : undefined,
      };
    });
}

/** Fields every RTEM big object has, around its own. */
const EVENT = "Id:id CreatedDate:datetime EventDate:datetime EventIdentifier";
const SESSION = "LoginKey SessionKey SessionLevel:picklist SourceIp UserId:reference Username";
const POLICY = "EvaluationTime:double PolicyId:reference PolicyOutcome:picklist";
/** Fields every Threat Detection store has (standard objects: audit fields too). */
const THREAT =
  "Id:id CreatedDate:datetime CreatedById:reference LastModifiedDate:datetime LastModifiedById:reference " +
  "SystemModstamp:datetime EventDate:datetime EventIdentifier LoginKey SessionKey SourceIp UserId:reference " +
  "Username Score:double Summary!f!s SecurityEventData!f!s " +
  POLICY;

const BIG_INDEX = [["EventDate", "EventIdentifier"]] as const;

const big = (
  spec: Omit<ObjectSpec, "kind" | "access" | "lag" | "timestamp" | "indexes" | "labelPlural"> &
    Partial<Pick<ObjectSpec, "indexes">>,
): ObjectSpec => ({
  kind: "big",
  access: "monitoring",
  lag: "realtime",
  timestamp: "EventDate",
  indexes: BIG_INDEX,
  labelPlural: `${spec.label}s`,
  ...spec,
});

const threat = (name: string, label: string, since: number, ownFields: string, rate: number): ObjectSpec => ({
  name,
  label,
  labelPlural: `${label}s`,
  kind: "standard",
  keyPrefix: "0q0",
  since,
  access: "monitoring",
  source: "activity",
  channel: "browser",
  rate,
  lag: "detection",
  timestamp: "CreatedDate",
  fields: fields(`${THREAT} ${ownFields}`),
});

export const OBJECTS: readonly ObjectSpec[] = [
  big({
    name: "LoginEvent",
    label: "Login Event",
    keyPrefix: "0Lq",
    since: 46,
    source: "login",
    rate: 0,
    fields: fields(
      `${EVENT} AdditionalInfo!f ApiType ApiVersion Application AuthMethodReference AuthServiceId:reference ` +
        "Browser CipherSuite City ClientVersion Country CountryIso ForwardedForIp HttpMethod LoginGeoId:reference " +
        "LoginHistoryId:reference LoginKey LoginLatitude:double LoginLongitude:double LoginSubType LoginType LoginUrl " +
        `Platform PostalCode RelatedEventIdentifier SessionKey SessionLevel:picklist SourceIp Status Subdivision ` +
        `TlsProtocol UserId:reference UserType:picklist Username ${POLICY}`,
    ),
  }),
  big({
    name: "LogoutEvent",
    label: "Logout Event",
    keyPrefix: "0Lr",
    since: 46,
    source: "logout",
    rate: 0,
    fields: fields(`${EVENT} ${SESSION} ProfileId:reference RoleId:reference`),
  }),
  big({
    name: "LoginAsEvent",
    label: "Login As Event",
    keyPrefix: "0Ls",
    since: 46,
    source: "activity",
    channel: "browser",
    rate: 0.3,
    fields: fields(
      `${EVENT} ${SESSION} Application Browser DelegatedOrganizationId DelegatedUsername LoginAsCategory ` +
        "LoginHistoryId:reference LoginType Platform TargetUrl",
    ),
  }),
  big({
    name: "ApiEvent",
    label: "API Event",
    keyPrefix: "0Lt",
    since: 46,
    source: "activity",
    channel: "api",
    rate: 20,
    fields: fields(
      `${EVENT} ${SESSION} AdditionalInfo!f ApiType ApiVersion:double Application Client ConnectedAppId:reference ` +
        `ElapsedTime:int LoginHistoryId:reference Operation Platform QueriedEntities Query!f!s Records!f!s ` +
        `RowsProcessed:double RowsReturned:int UserAgent ${POLICY}`,
    ),
  }),
  big({
    name: "ReportEvent",
    label: "Report Event",
    keyPrefix: "0Lu",
    since: 46,
    source: "activity",
    channel: "browser",
    rate: 6,
    // UserId (beta), alone or before EventDate, besides the usual EventDate path.
    indexes: [...BIG_INDEX, ["UserId", "EventDate"]],
    fields: fields(
      `${EVENT} ${SESSION} ColumnHeaders!f!s Description DisplayedFieldEntities EventSource:picklist ` +
        "ExecutionIdentifier ExportFileFormat:picklist Format:picklist IsScheduled:boolean LoginHistoryId:reference " +
        `Name NumberOfColumns:int Operation:picklist OwnerId:reference QueriedEntities Records!f!s ReportId:reference ` +
        `RowsProcessed:double Scope ${POLICY}`,
    ),
  }),
  big({
    name: "ListViewEvent",
    label: "List View Event",
    keyPrefix: "0Lv",
    since: 46,
    source: "activity",
    channel: "browser",
    rate: 10,
    fields: fields(
      `${EVENT} ${SESSION} AppName ColumnHeaders!f!s DeveloperName EventSource:picklist FilterCriteria!f!s ` +
        "ListViewId:reference LoginHistoryId:reference Name NumberOfColumns:int OrderBy OwnerId:reference " +
        `QueriedEntities Records!f!s RowsProcessed:double Scope ${POLICY}`,
    ),
  }),
  big({
    name: "UriEvent",
    label: "URI Event",
    keyPrefix: "0Lw",
    since: 46,
    source: "activity",
    channel: "browser",
    rate: 15,
    fields: fields(
      `${EVENT} ${SESSION} LoginHistoryId:reference Name Operation:picklist QueriedEntities RecordId:reference ` +
        "Referrer UserType:picklist",
    ),
  }),
  big({
    name: "LightningUriEvent",
    label: "Lightning URI Event",
    keyPrefix: "0Lx",
    since: 46,
    source: "activity",
    channel: "browser",
    rate: 40,
    fields: fields(
      `${EVENT} ${SESSION} AppName ConnectionType DeviceId DeviceModel DevicePlatform EffectivePageTime:double ` +
        "LoginHistoryId:reference Operation:picklist PageStartTime:datetime PageUrl PreviousPageUrl QueriedEntities " +
        "RecordId:reference UserType:picklist",
    ),
  }),
  big({
    name: "FileEventStore",
    label: "File Event Store",
    keyPrefix: "0Ly",
    since: 57,
    source: "activity",
    channel: "browser",
    rate: 4,
    fields: fields(
      `${EVENT} ${SESSION} CanDownloadPdf:boolean ContentSize:int ContentVersionId:reference DocumentId:reference ` +
        `FileAction:picklist FileName FileSource:picklist FileType IsLatestVersion:boolean ProcessDuration:double ` +
        `VersionNumber:int ${POLICY}`,
    ),
  }),
  big({
    name: "PermissionSetEventStore",
    label: "Permission Set Event Store",
    keyPrefix: "0Lz",
    since: 52,
    source: "activity",
    channel: "browser",
    rate: 0.5,
    fields: fields(
      `${EVENT} ${SESSION} EventSource:picklist HasExternalUsers:boolean Operation:picklist ParentIdList!f!s ` +
        `ParentNameList!f!s PermissionExpirationList!f!s PermissionList!f!s PermissionType:picklist UserCount:int ` +
        `UserIdList!f!s ${POLICY}`,
    ),
  }),
  big({
    name: "BulkApiResultEventStore",
    label: "Bulk API Result Event Store",
    keyPrefix: "0M0",
    since: 50,
    source: "activity",
    channel: "api",
    rate: 1,
    fields: fields(
      `${EVENT} ${SESSION} BatchId JobId Query!f!s QueriedEntities RowsProcessed:double ${POLICY}`,
    ),
  }),
  big({
    name: "IdentityVerificationEvent",
    label: "Identity Verification Event",
    keyPrefix: "0M1",
    since: 47,
    source: "activity",
    channel: "browser",
    rate: 2,
    fields: fields(
      `${EVENT} ${SESSION} Activity:picklist City Country CountryIso EventGroup Latitude:double ` +
        "LoginGeoId:reference LoginHistoryId:reference Longitude:double PostalCode Remarks Status:picklist " +
        "Subdivision VerificationMethod:picklist",
    ),
  }),
  threat(
    "ApiAnomalyEventStore",
    "API Anomaly Event Store",
    50,
    "Operation QueriedEntities RowsProcessed:double Uri UserAgent",
    0.1,
  ),
  threat(
    "CredentialStuffingEventStore",
    "Credential Stuffing Event Store",
    49,
    "AcceptLanguage LoginUrl UserAgent",
    0.05,
  ),
  threat("ReportAnomalyEventStore", "Report Anomaly Event Store", 49, "Report:reference", 0.1),
  threat(
    "SessionHijackingEventStore",
    "Session Hijacking Event Store",
    49,
    "CurrentIp CurrentPlatform CurrentScreen CurrentUserAgent CurrentWindow PreviousIp PreviousPlatform " +
      "PreviousScreen PreviousUserAgent PreviousWindow",
    0.05,
  ),
  threat("LoginAnomalyEventStore", "Login Anomaly Event Store", 64, "", 0.1),
  threat(
    "GuestUserAnomalyEventStore",
    "Guest User Anomaly Event Store",
    64,
    "Operation QueriedEntities RowsProcessed:double",
    0.05,
  ),
  {
    name: "SetupAuditTrail",
    label: "Setup Audit Trail",
    labelPlural: "Setup Audit Trail",
    kind: "standard",
    keyPrefix: "0Ym",
    since: 15,
    access: "setup",
    source: "audit",
    rate: 1.5,
    lag: "audit",
    timestamp: "CreatedDate",
    fields: fields(
      "Id:id Action CreatedByContext CreatedById:reference CreatedByIssuer CreatedDate:datetime DelegateUser " +
        "Display!f ResponsibleNamespacePrefix Section SystemModstamp:datetime",
    ),
  },
  {
    name: "LoginHistory",
    label: "Login History",
    labelPlural: "Login History",
    kind: "standard",
    keyPrefix: "0Ya",
    since: 21,
    access: "users",
    source: "login",
    rate: 0,
    lag: "realtime",
    timestamp: "LoginTime",
    fields: fields(
      "Id:id ApiType ApiVersion Application!f AuthMethodReference AuthenticationServiceId:reference Browser!f " +
        "CipherSuite ClientVersion CountryIso ForwardedForIp LoginGeoId:reference LoginSubType LoginTime:datetime " +
        "LoginType:picklist LoginUrl NetworkId:reference OptionsIsGet:boolean OptionsIsPost:boolean Platform!f " +
        "SourceIp Status TlsProtocol UserId:reference",
    ),
  },
];

const BY_NAME = new Map(OBJECTS.map((o) => [o.name.toLowerCase(), o]));

/** The object named (case-insensitively), if the simulator serves it. */
export function objectSpec(name: string): ObjectSpec | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** An object with no real Id: big-object queries return this empty id for every row. */
export const EMPTY_ID = "000000000000000AAA";
