import type { ObjectSpec, Slot } from "../objects/index.js";
import { eventIdentifier } from "../objects/records.js";
import { ObjectTimeline } from "../objects/timeline.js";
import type { OrgProfile } from "../org/population.js";
import { mix, nameHash, Random } from "../org/random.js";
import type { SessionDirectory } from "../org/sessions.js";
import type { SoqlFieldType, SoqlRecord } from "../soql/index.js";

/**
 * ConcurLongRunApexErrEvent: a request refused because too many long-running Apex requests ran at
 * once. It is streamed only (no storage object), so its events get a timeline of their own, built
 * like an activity object's: a few an hour, from the org's open sessions.
 */

const NAME = "ConcurLongRunApexErrEvent";
const TAG = 0x0c0c;
const FIELDS: readonly { name: string; type: SoqlFieldType }[] = [
  { name: "CreatedDate", type: "datetime" },
  { name: "EventDate", type: "datetime" },
  { name: "EventIdentifier", type: "string" },
  { name: "EventUuid", type: "string" },
  { name: "UserId", type: "reference" },
  { name: "Username", type: "string" },
  { name: "SessionKey", type: "string" },
  { name: "LoginKey", type: "string" },
  { name: "SourceIp", type: "string" },
  { name: "Quiddity", type: "picklist" },
  { name: "RequestId", type: "string" },
  { name: "RequestUri", type: "string" },
  { name: "CurrentValue", type: "int" },
  { name: "Limit", type: "int" },
];

/** What the shared timeline needs to know of it: activity rows of browser sessions. */
const SPEC = {
  name: NAME,
  source: "activity",
  channel: "browser",
  lag: "realtime",
} as unknown as ObjectSpec;

const URIS = ["/apex/OrderSync", "/services/apexrest/inventory", "/aura", "/apex/QuoteBuilder"];

export class ConcurrentApexErrors {
  readonly eventName = NAME;
  readonly fields = FIELDS;
  private readonly timeline: ObjectTimeline;
  private readonly kind = nameHash(`object:${NAME}`);
  private readonly rnd = new Random(0);

  constructor(
    private readonly options: {
      seed: number;
      profile: OrgProfile;
      sessions: SessionDirectory;
      historyStart: number;
      ratePerHour: number;
    },
  ) {
    this.timeline = new ObjectTimeline(
      { seed: options.seed, lateShare: 0, lateDelayMs: 0, tieShare: 0 },
      options.sessions,
      new Map([[NAME, this.kind]]),
      new Map([[NAME, options.ratePerHour]]),
    );
  }

  slots(lo: number, hi: number): Generator<Slot> {
    return this.timeline.slots(SPEC, [], Math.max(lo, this.options.historyStart - 1), hi, false);
  }

  record(slot: Slot): SoqlRecord {
    const { seed, profile, sessions } = this.options;
    const rnd = this.rnd.reseed(mix(seed, TAG, slot.origin, slot.index));
    const session = sessions.openSession(slot.time, "browser", rnd) ?? sessions.sessionAt(slot.time, rnd);
    const user = session?.user ?? profile.users[0];
    const id = eventIdentifier(seed, this.kind, slot);
    return {
      CreatedDate: slot.time,
      EventDate: slot.time,
      EventIdentifier: id,
      EventUuid: eventIdentifier(seed + 1, this.kind, slot),
      UserId: user.id18,
      Username: user.username,
      SessionKey: session?.sessionKey || null,
      LoginKey: session?.loginKey || null,
      SourceIp: session?.sourceIp ?? null,
      Quiddity: rnd.pick(["A", "R", "V", "L"]),
      RequestId: `TID:${id.replace(/-/g, "").slice(0, 20)}`,
      RequestUri: rnd.pick(URIS),
      CurrentValue: 11,
      Limit: 10,
    };
  }
}
