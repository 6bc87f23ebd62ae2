/**
 * The objects the objects source reads, and how Salesforce lets each be read. Big objects (most
 * Real-Time Event Monitoring stores) filter only on EventDate and sort only by EventDate DESC;
 * standard objects (the Threat Detection stores, SetupAuditTrail, LoginHistory) take an ascending
 * (timestamp, Id) order on a field that says when the row was stored.
 */
export interface ObjectKind {
  name: string;
  storage: "big" | "standard";
  /** The field windows are cut on. */
  timestamp: "EventDate" | "CreatedDate" | "LoginTime";
  /** The record's own identity: the same event read twice has the same one. */
  identity: "EventIdentifier" | "Id";
  /** The first API version that has it. */
  since: number;
  /** What a user who cannot read it lacks, in Salesforce's words. */
  access: string;
}

const LICENCE =
  "the Event Monitoring add-on or Shield, the 'View Real-Time Event Monitoring Data' permission";
const RTEM = `${LICENCE}, and 'Enable Storing' for the event in Setup > Event Manager`;
const THREAT = `${LICENCE}, and Threat Detection turned on`;

const big = (name: string, since: number, access = RTEM): ObjectKind => ({
  name,
  storage: "big",
  timestamp: "EventDate",
  identity: "EventIdentifier",
  since,
  access,
});

// Threat Detection rows are written after the model has scored them: CreatedDate says when a row
// became visible, EventDate when the activity happened; windows on CreatedDate never miss a late one.
const threat = (name: string, since: number): ObjectKind => ({
  name,
  storage: "standard",
  timestamp: "CreatedDate",
  identity: "EventIdentifier",
  since,
  access: THREAT,
});

export const OBJECT_KINDS: readonly ObjectKind[] = [
  big("LoginEvent", 46),
  big("LogoutEvent", 46),
  big("LoginAsEvent", 46),
  big("ApiEvent", 46),
  big("ReportEvent", 46),
  big("ListViewEvent", 46),
  big("UriEvent", 46),
  big("LightningUriEvent", 46),
  big("FileEventStore", 57),
  big("PermissionSetEventStore", 52),
  big("BulkApiResultEventStore", 50),
  big("IdentityVerificationEvent", 47, `${RTEM}, and 'Manage Multi-Factor Authentication in User Interface'`),
  threat("ApiAnomalyEventStore", 50),
  threat("CredentialStuffingEventStore", 49),
  threat("ReportAnomalyEventStore", 49),
  threat("SessionHijackingEventStore", 49),
  threat("LoginAnomalyEventStore", 64),
  threat("GuestUserAnomalyEventStore", 64),
  {
    name: "SetupAuditTrail",
    storage: "standard",
    timestamp: "CreatedDate",
    identity: "Id",
    since: 15,
    access: "the 'View Setup and Configuration' permission",
  },
  {
    name: "LoginHistory",
    storage: "standard",
    timestamp: "LoginTime",
    identity: "Id",
    since: 15,
    access: "the 'Manage Users' permission",
  },
];

const BY_NAME = new Map(OBJECT_KINDS.map((kind) => [kind.name.toLowerCase(), kind]));

/** The kind of an object named in the configuration, whatever its case. */
export function objectKind(name: string): ObjectKind | undefined {
  return BY_NAME.get(name.toLowerCase());
}
