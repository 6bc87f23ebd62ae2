import { toCaseSafeId } from "../../salesforce/ids.js";
import { randomRecordId, recordId } from "../org/ids.js";
import { addressIn, type OrgProfile, type OrgUser } from "../org/population.js";
import { mix, nameHash, type Random } from "../org/random.js";
import type { Login } from "../org/sessions.js";
import type { SoqlRecord } from "../soql/index.js";
import { EMPTY_ID, type ObjectSpec } from "./catalog.js";
import type { Slot } from "./timeline.js";

/**
 * One monitoring-object row, field by field. A row is a pure function of its slot (object, stream,
 * hour or burst, index): it can be rebuilt alone, in any order, identically. Fields a row has no
 * value for are null, as Salesforce returns them.
 */

type Value = SoqlRecord[string];

/** What a row is built from. */
export interface RowDraw {
  spec: ObjectSpec;
  slot: Slot;
  rnd: Random;
  profile: OrgProfile;
  /** The login (login, logout) or the session doing the work (activity); undefined for Setup changes. */
  session: Login | undefined;
  user: OrgUser;
  /** The Login Event Log File row of the same login, by column, when the row is a login of the hour plan. */
  loginFileRow: Record<string, string> | undefined;
  eventIdentifier: string;
}

const ID_EPOCH_SECONDS = Date.UTC(2000, 0, 1) / 1000;
const SERIAL_SPAN = 62 ** 3;

/** A standard-object Id whose order follows `time` (to the second), told apart by `discriminator`. */
function timedId(prefix: string, profile: OrgProfile, time: number, discriminator: number): string {
  const serial = (Math.floor(time / 1000) - ID_EPOCH_SECONDS) * SERIAL_SPAN + (discriminator % SERIAL_SPAN);
  return toCaseSafeId(recordId(prefix, profile.instance, serial));
}

/** LoginHistory.Id of a login: from its time to the millisecond and its user, so every row that names the login agrees. */
export function loginHistoryId(profile: OrgProfile, login: Login): string {
  return timedId(
    "0Ya",
    profile,
    login.time,
    (login.time % 1000) * 238 + (nameHash(login.user.id15 + login.loginKey) % 238),
  );
}

/** A UUID-shaped EventIdentifier, unique per slot. */
export function eventIdentifier(seed: number, kind: number, slot: Slot): string {
  const hex = [0, 1, 2, 3]
    .map((k) => mix(seed, 0xe1d, kind, slot.stream, slot.origin, slot.index, k).toString(16).padStart(8, "0"))
    .join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

interface Geo {
  country: string;
  city: string;
  subdivision: string;
  postalCode: string;
  latitude: number;
  longitude: number;
}

const GEO: Record<string, Geo> = {
  US: {
    country: "United States",
    city: "San Francisco",
    subdivision: "California",
    postalCode: "94105",
    latitude: 37.7897,
    longitude: -122.3972,
  },
  FR: {
    country: "France",
    city: "Paris",
    subdivision: "Île-de-France",
    postalCode: "75002",
    latitude: 48.8674,
    longitude: 2.3412,
  },
  DE: {
    country: "Germany",
    city: "Munich",
    subdivision: "Bavaria",
    postalCode: "80331",
    latitude: 48.1371,
    longitude: 11.5754,
  },
  GB: {
    country: "United Kingdom",
    city: "London",
    subdivision: "England",
    postalCode: "EC2V",
    latitude: 51.5154,
    longitude: -0.0922,
  },
  ES: {
    country: "Spain",
    city: "Madrid",
    subdivision: "Madrid",
    postalCode: "28013",
    latitude: 40.4168,
    longitude: -3.7038,
  },
  IN: {
    country: "India",
    city: "Bengaluru",
    subdivision: "Karnataka",
    postalCode: "560001",
    latitude: 12.9716,
    longitude: 77.5946,
  },
  JP: {
    country: "Japan",
    city: "Tokyo",
    subdivision: "Tokyo",
    postalCode: "100-0005",
    latitude: 35.6812,
    longitude: 139.7671,
  },
  BR: {
    country: "Brazil",
    city: "São Paulo",
    subdivision: "São Paulo",
    postalCode: "01310-100",
    latitude: -23.5614,
    longitude: -46.6559,
  },
  AU: {
    country: "Australia",
    city: "Sydney",
    subdivision: "New South Wales",
    postalCode: "2000",
    latitude: -33.8688,
    longitude: 151.2093,
  },
  NG: {
    country: "Nigeria",
    city: "Lagos",
    subdivision: "Lagos",
    postalCode: "100001",
    latitude: 6.5244,
    longitude: 3.3792,
  },
  CN: {
    country: "China",
    city: "Changchun",
    subdivision: "Jilin",
    postalCode: "130000",
    latitude: 43.8171,
    longitude: 125.3235,
  },
};

/** LOGIN_STATUS codes as LoginHistory and LoginEvent word them. */
const STATUS_TEXT: Record<string, string> = {
  LOGIN_NO_ERROR: "Success",
  LOGIN_ERROR_INVALID_PASSWORD: "Invalid Password",
  LOGIN_TWOFACTOR_REQ: "Two-factor authentication required",
  LOGIN_CHALLENGE_ISSUED: "Challenge Issued",
  LOGIN_ERROR_RESTRICTED_DOMAIN: "Restricted Domain",
  LOGIN_ERROR_PASSWORD_LOCKOUT: "Password Lockout",
  LOGIN_ERROR_USER_FROZEN: "User is Frozen",
  LOGIN_ERROR_RATE_EXCEEDED: "Login Rate Exceeded",
  LOGIN_ERROR_API_TOO_OLD: "API Version Too Old",
};

/** LOGIN_TYPE codes of the Login file, as the LoginType picklist names them. */
const LOGIN_TYPE: Record<string, string> = { A: "Application", i: "Remote Access 2.0", I: "Other Apex API" };

const TLS: Record<string, string> = { "TLSv1.3": "TLS 1.3", "TLSv1.2": "TLS 1.2" };

function browserOf(l: Login | undefined): string {
  return l?.browser === undefined
    ? "Unknown"
    : `${l.browser.name.charAt(0)}${l.browser.name.slice(1).toLowerCase()} ${l.browser.version}`;
}

function platformOf(l: Login | undefined): string {
  if (l?.browser === undefined) return "Unknown";
  return `${l.browser.osName.replace(/_/g, " ")} ${l.browser.osVersion}`.trim();
}

/** Fields filled the same way on every object that has them. */
const COMMON: Record<string, (d: RowDraw) => Value> = {
  Id: (d) =>
    d.spec.kind === "big"
      ? EMPTY_ID
      : d.spec.name === "LoginHistory" && d.session !== undefined
        ? loginHistoryId(d.profile, d.session)
        : timedId(
            d.spec.keyPrefix,
            d.profile,
            createdDate(d),
            (Math.floor(d.slot.origin / 3_600_000) % 168) * 1000 + d.slot.index,
          ),
  CreatedDate: createdDate,
  LastModifiedDate: createdDate,
  SystemModstamp: createdDate,
  CreatedById: (d) => (d.spec.source === "audit" ? d.user.id18 : d.profile.automatedProcess.id18),
  LastModifiedById: (d) => d.profile.automatedProcess.id18,
  EventDate: (d) => d.slot.time,
  LoginTime: (d) => d.slot.time,
  EventIdentifier: (d) => d.eventIdentifier,
  UserId: (d) => d.user.id18,
  Username: (d) => d.user.username,
  LoginKey: (d) => d.session?.loginKey || null,
  SessionKey: (d) => d.session?.sessionKey || null,
  SessionLevel: (d) => (d.session === undefined ? null : "STANDARD"),
  SourceIp: (d) => d.session?.sourceIp ?? null,
  LoginHistoryId: (d) => (d.session === undefined ? null : loginHistoryId(d.profile, d.session)),
  Browser: (d) => browserOf(d.session),
  Platform: (d) => platformOf(d.session),
  Application: (d) => (d.session?.channel === "browser" ? "Browser" : "N/A"),
  UserType: () => "Standard",
  Country: (d) => GEO[d.session?.country ?? ""]?.country ?? null,
  CountryIso: (d) => d.session?.country ?? null,
  City: (d) => GEO[d.session?.country ?? ""]?.city ?? null,
  Subdivision: (d) => GEO[d.session?.country ?? ""]?.subdivision ?? null,
  PostalCode: (d) => GEO[d.session?.country ?? ""]?.postalCode ?? null,
  Latitude: (d) => GEO[d.session?.country ?? ""]?.latitude ?? null,
  Longitude: (d) => GEO[d.session?.country ?? ""]?.longitude ?? null,
  LoginLatitude: (d) => GEO[d.session?.country ?? ""]?.latitude ?? null,
  LoginLongitude: (d) => GEO[d.session?.country ?? ""]?.longitude ?? null,
  LoginGeoId: (d) =>
    d.session === undefined
      ? null
      : toCaseSafeId(
          `04F${d.profile.instance}0000${d.session.loginKey
            .slice(0, 6)
            .replace(/[^A-Za-z0-9]/g, "0")
            .padEnd(6, "0")}`,
        ),
  UserAgent: (d) => d.session?.userAgent ?? null,
  OwnerId: (d) => d.user.id18,
};

function createdDate(d: RowDraw): number {
  // Setup changes are dated when made; the other objects when their row was stored.
  return d.spec.source === "audit" ? d.slot.time : d.slot.visible;
}

const ENTITIES = ["Account", "Contact", "Opportunity", "Lead", "Case"];
const PREFIX: Record<string, string> = {
  Account: "001",
  Contact: "003",
  Opportunity: "006",
  Lead: "00Q",
  Case: "500",
};

function recordOf(d: RowDraw, entity: string): string {
  return toCaseSafeId(randomRecordId(PREFIX[entity] ?? "001", d.profile.instance, d.rnd));
}

function admin(d: RowDraw): OrgUser {
  return d.rnd.pick(d.profile.users.filter((u) => u.kind === "admin"));
}

function loginValues(d: RowDraw): Record<string, Value> {
  const l = d.session as Login;
  const file = d.loginFileRow;
  const tls = file?.TLS_PROTOCOL ?? (d.rnd.chance(0.6) ? "TLSv1.3" : "TLSv1.2");
  const ok = l.status === "LOGIN_NO_ERROR";
  return {
    Status: STATUS_TEXT[l.status] ?? l.status,
    LoginType: LOGIN_TYPE[l.loginType] ?? l.loginType,
    LoginSubType: l.loginSubType || null,
    LoginUrl: file?.LOGIN_URL ?? d.profile.myDomain,
    TlsProtocol: TLS[tls] ?? tls,
    CipherSuite:
      file?.CIPHER_SUITE ?? (tls === "TLSv1.3" ? "TLS_AES_256_GCM_SHA384" : "ECDHE-RSA-AES256-GCM-SHA384"),
    ApiType: l.apiType === "P" ? "SOAP Partner" : l.channel === "api" ? "N/A" : null,
    ApiVersion: l.apiVersion === "9998.0" ? "N/A" : l.apiVersion,
    ClientVersion: "N/A",
    HttpMethod: "POST",
    AdditionalInfo: "{}",
    // A failed attempt opens no session.
    SessionKey: ok ? l.sessionKey : null,
    OptionsIsGet: false,
    OptionsIsPost: l.channel === "browser",
  };
}

const REPORTS = [
  "Pipeline by Owner",
  "Open Cases by Priority",
  "Contacts without E-mail",
  "Closed Won This Quarter",
];
const LIST_VIEWS = ["My Open Cases", "Recently Viewed Accounts", "All Open Leads", "My Opportunities"];
const SETUP_CHANGES: readonly [string, string, (d: RowDraw, target: OrgUser) => string][] = [
  ["changedpassword", "Manage Users", (_, t) => `Changed password for user ${t.username}`],
  [
    "PermSetAssign",
    "Manage Users",
    (_, t) => `Permission set Support Agents: assigned to user ${t.name} (UserID: [${t.id15}])`,
  ],
  [
    "changedProfileForUser",
    "Manage Users",
    (_, t) => `Changed profile for user ${t.username} from Standard User to Sales Manager`,
  ],
  ["deactivateduser", "Manage Users", (_, t) => `Deactivated user ${t.username}`],
  ["changedApexClass", "Apex Class", () => "Changed OrderSync Apex Class code"],
  ["changedConnectedApp", "Connected Apps", () => "Changed policies of connected app Data Warehouse"],
  ["suOrgAdminLogin", "Manage Users", (_, t) => `Logged in using Login-As access for ${t.username}`],
  ["createdcustomfield", "Customize Accounts", () => "Created custom field Region (Picklist)"],
];

/** Each object's own fields; common ones come from COMMON unless given here. */
const OWN: Record<string, (d: RowDraw) => Record<string, Value>> = {
  LoginEvent: loginValues,
  LoginHistory: loginValues,
  LogoutEvent: () => ({}),
  LoginAsEvent(d) {
    const by = admin(d);
    return {
      DelegatedUsername: by.username,
      DelegatedOrganizationId: toCaseSafeId(d.profile.orgId15),
      LoginAsCategory: "OrgAdmin",
      LoginType: "Application",
      TargetUrl: "/home/home.jsp",
    };
  },
  ApiEvent(d) {
    const entity = d.rnd.pick(ENTITIES);
    const rows = d.rnd.between(0, 2000);
    const soap = d.session?.apiType === "P";
    return {
      ApiType: soap ? "SOAP Partner" : "REST API",
      ApiVersion: Number.parseFloat(
        d.session?.apiVersion === "9998.0" ? "62.0" : (d.session?.apiVersion ?? "62.0"),
      ),
      Operation: "Query",
      Query: `SELECT Id, Name, CreatedDate FROM ${entity} LIMIT ${rows}`,
      QueriedEntities: entity,
      RowsProcessed: rows,
      RowsReturned: rows,
      ElapsedTime: d.rnd.between(4, 900),
      Client: d.rnd.pick(["DataLoaderBulkUI/", "Workbench/", "N/A"]),
      ConnectedAppId: toCaseSafeId(`0H4${d.profile.instance}0000${d.user.id15.slice(-6)}`),
      Platform: "Unknown",
      Records: `{"totalSize":${rows},"done":true,"records":[{"attributes":{"type":"${entity}"},"Id":"${recordOf(d, entity)}"}]}`,
    };
  },
  ReportEvent(d) {
    const exported = d.rnd.chance(0.2);
    const rows = d.rnd.between(1, 5000);
    return {
      ReportId: toCaseSafeId(randomRecordId("00O", d.profile.instance, d.rnd)),
      Name: d.rnd.pick(REPORTS),
      Operation: exported ? "ReportExported" : "ReportRunFromLightning",
      EventSource: exported ? "Classic" : "Lightning",
      ExportFileFormat: exported ? "CSV" : null,
      Format: "Tabular",
      IsScheduled: false,
      QueriedEntities: "Opportunity",
      DisplayedFieldEntities: "Opportunity,User",
      RowsProcessed: rows,
      NumberOfColumns: 4,
      ColumnHeaders: "[Opportunity Owner, Opportunity Name, Amount, Close Date]",
      ExecutionIdentifier: eventIdentifier(d.rnd.next(), 1, d.slot),
      Scope: "organization",
    };
  },
  ListViewEvent(d) {
    const name = d.rnd.pick(LIST_VIEWS);
    return {
      ListViewId: toCaseSafeId(randomRecordId("00B", d.profile.instance, d.rnd)),
      Name: name,
      DeveloperName: name.replace(/ /g, "_"),
      AppName: "LightningSales",
      EventSource: "Lightning",
      QueriedEntities: name.includes("Case") ? "Case" : name.includes("Lead") ? "Lead" : "Account",
      RowsProcessed: d.rnd.between(0, 200),
      NumberOfColumns: 5,
      ColumnHeaders: "[Name, Owner, Created Date, Status, Priority]",
      OrderBy: "CreatedDate DESC",
      Scope: "mine",
      FilterCriteria: '{"whereCondition":{"field":"IsClosed","operator":"equals","values":["false"]}}',
    };
  },
  UriEvent(d) {
    const entity = d.rnd.pick(ENTITIES);
    const record = recordOf(d, entity);
    return {
      Name: `/${record.slice(0, 15)}`,
      Operation: "Read",
      QueriedEntities: entity,
      RecordId: record,
      Referrer: `https://${d.profile.myDomain}/home/home.jsp`,
    };
  },
  LightningUriEvent(d) {
    const entity = d.rnd.pick(ENTITIES);
    const record = recordOf(d, entity);
    return {
      PageUrl: `/lightning/r/${entity}/${record}/view`,
      PreviousPageUrl: `/lightning/o/${entity}/list`,
      Operation: "Read",
      QueriedEntities: entity,
      RecordId: record,
      AppName: "one:one",
      DevicePlatform: "SFX:BROWSER:DESKTOP",
      EffectivePageTime: d.rnd.between(120, 4000),
      PageStartTime: d.slot.time - d.rnd.between(100, 3000),
    };
  },
  FileEventStore(d) {
    const action = d.rnd.pick(["DOWNLOAD", "PREVIEW", "UPLOAD"]);
    return {
      FileAction: action,
      FileName: d.rnd.pick(["Q3 forecast", "Customer list", "Contract ACME", "Roadmap"]),
      FileType: d.rnd.pick(["PDF", "EXCEL_X", "WORD_X", "CSV"]),
      FileSource: "S",
      ContentSize: d.rnd.between(2_000, 40_000_000),
      ContentVersionId: toCaseSafeId(randomRecordId("068", d.profile.instance, d.rnd)),
      DocumentId: toCaseSafeId(randomRecordId("069", d.profile.instance, d.rnd)),
      IsLatestVersion: true,
      VersionNumber: 1,
      CanDownloadPdf: action !== "UPLOAD",
      ProcessDuration: d.rnd.between(5, 900),
    };
  },
  PermissionSetEventStore(d) {
    const target = d.rnd.pick(d.profile.users);
    return {
      Operation: d.rnd.pick(["AssignedToUsers", "UnassignedFromUsers", "PermissionsAdded"]),
      PermissionType: "UserPermission",
      PermissionList: d.rnd.pick(["ViewAllData", "ModifyAllData", "ManageUsers", "ExportReport"]),
      ParentIdList: toCaseSafeId(randomRecordId("0PS", d.profile.instance, d.rnd)),
      ParentNameList: "Support_Agents",
      UserIdList: target.id18,
      UserCount: 1,
      HasExternalUsers: false,
      EventSource: "Setup",
    };
  },
  BulkApiResultEventStore(d) {
    const entity = d.rnd.pick(ENTITIES);
    return {
      JobId: toCaseSafeId(randomRecordId("750", d.profile.instance, d.rnd)),
      BatchId: toCaseSafeId(randomRecordId("751", d.profile.instance, d.rnd)),
      Query: `SELECT Id, Name FROM ${entity}`,
      QueriedEntities: entity,
      RowsProcessed: d.rnd.between(1, 50_000),
    };
  },
  IdentityVerificationEvent(d) {
    const ok = d.rnd.chance(0.9);
    return {
      Activity: "Login",
      VerificationMethod: d.rnd.pick(["Salesforce Authenticator", "TOTP", "Email", "SMS"]),
      Status: ok ? "Succeeded" : "Failed",
      EventGroup: eventIdentifier(d.rnd.next(), 2, d.slot),
      Remarks: null,
    };
  },
  ApiAnomalyEventStore: (d) =>
    threatValues(d, "API calls far above this user's usual volume", {
      Operation: "Query",
      QueriedEntities: d.rnd.pick(ENTITIES),
      RowsProcessed: d.rnd.between(10_000, 500_000),
      Uri: "/services/data/v62.0/query",
    }),
  CredentialStuffingEventStore: (d) =>
    threatValues(d, "Many failed logins with leaked credentials, then a success", {
      AcceptLanguage: "en-US,en;q=0.9",
      LoginUrl: d.profile.myDomain,
    }),
  ReportAnomalyEventStore: (d) =>
    threatValues(d, "Report export far larger than this user's usual", {
      Report: toCaseSafeId(randomRecordId("00O", d.profile.instance, d.rnd)),
    }),
  SessionHijackingEventStore(d) {
    const elsewhere = d.rnd.pick(["CN", "NG", "BR"].filter((c) => c !== d.session?.country));
    return threatValues(d, "The session's browser fingerprint changed in the middle of the session", {
      CurrentIp: addressIn(elsewhere, d.rnd),
      CurrentPlatform: "Linux x86_64",
      CurrentUserAgent:
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
      CurrentScreen: "(1920.0,1080.0)",
      CurrentWindow: "(1920.0,969.0)",
      PreviousIp: d.session?.sourceIp ?? null,
      PreviousPlatform: platformOf(d.session),
      PreviousUserAgent: d.session?.userAgent ?? null,
      PreviousScreen: "(2560.0,1440.0)",
      PreviousWindow: "(2560.0,1329.0)",
    });
  },
  LoginAnomalyEventStore: (d) => threatValues(d, "Login from a place and device this user never used", {}),
  GuestUserAnomalyEventStore: (d) =>
    threatValues(d, "Guest user read records the site does not expose", {
      Operation: "Query",
      QueriedEntities: d.rnd.pick(ENTITIES),
      RowsProcessed: d.rnd.between(100, 20_000),
    }),
  SetupAuditTrail(d) {
    const [action, section, display] = d.rnd.pick(SETUP_CHANGES);
    const target = d.rnd.pick(d.profile.users.filter((u) => u.kind === "person"));
    return {
      Action: action,
      Section: section,
      Display: display(d, target),
      // Changes made while logged in as another user name the admin behind them.
      DelegateUser: action !== "suOrgAdminLogin" && d.rnd.chance(0.1) ? admin(d).username : null,
      CreatedByContext: null,
      CreatedByIssuer: null,
      ResponsibleNamespacePrefix: null,
    };
  },
};

function threatValues(d: RowDraw, summary: string, own: Record<string, Value>): Record<string, Value> {
  const score = Math.round(d.rnd.float() * 40 + 60) / 100;
  return {
    Score: score,
    Summary: summary,
    SecurityEventData: JSON.stringify({ score, userId: d.user.id18, sourceIp: d.session?.sourceIp ?? null }),
    ...own,
  };
}

/** The whole row: every field of the object, in describe order. */
export function buildRecord(d: RowDraw): SoqlRecord {
  const own = OWN[d.spec.name](d);
  const record: SoqlRecord = {};
  for (const field of d.spec.fields) {
    const name = field.name;
    if (Object.hasOwn(own, name)) record[name] = own[name];
    else record[name] = COMMON[name]?.(d) ?? null;
  }
  return record;
}
