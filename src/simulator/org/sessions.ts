import { sessionKey } from "./ids.js";
import {
  addressIn,
  API_CLIENTS,
  BROWSERS,
  type Browser,
  type OrgProfile,
  type OrgUser,
} from "./population.js";
import { mix, nameHash, Random, type WeightedTable, weights } from "./random.js";
import { DAY_MS, eventsInHour, eventTime, HOUR_MS } from "./volume.js";

/**
 * Logins and the sessions they open. Every row of an activity type (URI, API, Report, ...) is made
 * by a session that is open at that moment, so all rows of one session share its LOGIN_KEY and
 * SESSION_KEY, its user, its address and its user agent, and the session's Login row comes first.
 */

export type Channel = "browser" | "api";

export interface Login {
  time: number;
  user: OrgUser;
  channel: Channel;
  /** LOGIN_STATUS: LOGIN_NO_ERROR or a failure code. */
  status: string;
  /** CLIENT_IP as written: an address, or "Salesforce.com IP" for calls from inside Salesforce. */
  clientIp: string;
  /** SOURCE_IP: the first address that reached Salesforce. */
  sourceIp: string;
  country: string;
  /** The browser for browser logins; undefined for API clients. */
  browser: Browser | undefined;
  userAgent: string;
  loginType: string;
  loginSubType: string;
  uri: string;
  apiType: string;
  apiVersion: string;
  /** Empty for a failed login: no session was opened. */
  loginKey: string;
  sessionKey: string;
  /** When the session ends (logout or timeout); equals `time` for a failed login. */
  end: number;
}

const BROWSER_STATUSES = weights<string>([
  ["LOGIN_NO_ERROR", 88],
  ["LOGIN_ERROR_INVALID_PASSWORD", 6],
  ["LOGIN_TWOFACTOR_REQ", 2],
  ["LOGIN_CHALLENGE_ISSUED", 1.5],
  ["LOGIN_ERROR_RESTRICTED_DOMAIN", 1],
  ["LOGIN_ERROR_PASSWORD_LOCKOUT", 0.7],
  ["LOGIN_ERROR_USER_FROZEN", 0.3],
  ["LOGIN_ERROR_RATE_EXCEEDED", 0.2],
]);
const API_STATUSES = weights<string>([
  ["LOGIN_NO_ERROR", 97],
  ["LOGIN_ERROR_INVALID_PASSWORD", 2],
  ["LOGIN_ERROR_RESTRICTED_DOMAIN", 0.7],
  ["LOGIN_ERROR_API_TOO_OLD", 0.3],
]);
/** Where password-guessing comes from: anywhere but home. */
const ATTACK_COUNTRIES = ["CN", "NG", "BR", "IN"];

const LOGIN_KIND = nameHash("Login");
const MAX_SESSION_MS = 8 * HOUR_MS;

/** The org's logins, day by day, computed once per day and kept. */
export class SessionDirectory {
  private readonly logins = new Map<number, Login[]>();
  private readonly indexes = new Map<number, DayIndex>();
  private readonly userTable: WeightedTable<OrgUser>;

  constructor(
    private readonly seed: number,
    profile: OrgProfile,
    private readonly loginsPerHour: number,
  ) {
    this.userTable = weights(profile.users.map((u) => [u, u.activity] as const));
  }

  /** Login attempts (successful or not) in [hourStart, hourStart + 1 h), in time order. */
  loginsInHour(hourStart: number): Login[] {
    const day = Math.floor(hourStart / DAY_MS) * DAY_MS;
    return this.loginsOfDay(day).filter((l) => l.time >= hourStart && l.time < hourStart + HOUR_MS);
  }

  /** Sessions that end in [hourStart, hourStart + 1 h), in order of their end. */
  sessionsEndingInHour(hourStart: number): Login[] {
    const index = this.index(Math.floor(hourStart / DAY_MS) * DAY_MS);
    return index.ends.filter((s) => s.end >= hourStart && s.end < hourStart + HOUR_MS);
  }

  /** A session of `channel` open at `t`, drawn with `rnd`; undefined only before any session exists. */
  openSession(t: number, channel: Channel, rnd: Random): Login | undefined {
    const sessions = this.index(Math.floor(t / DAY_MS) * DAY_MS)[channel];
    const hi = upperBound(sessions, t);
    const lo = upperBound(sessions, t - MAX_SESSION_MS);
    if (hi === 0) return undefined;
    if (hi > lo) {
      for (let attempt = 0; attempt < 6; attempt++) {
        const s = sessions[lo + rnd.below(hi - lo)];
        if (s.end > t) return s;
      }
      for (let i = hi - 1; i >= lo; i--) if (sessions[i].end > t) return sessions[i];
    }
    // Nobody is logged in: the most recent session stands in, as a request racing its timeout would.
    return sessions[hi - 1];
  }

  private index(day: number): DayIndex {
    let index = this.indexes.get(day);
    if (index === undefined) {
      const opened = [...this.loginsOfDay(day - DAY_MS), ...this.loginsOfDay(day)].filter(
        (l) => l.sessionKey !== "",
      );
      index = {
        browser: opened.filter((l) => l.channel === "browser"),
        api: opened.filter((l) => l.channel === "api"),
        ends: opened.filter((l) => l.end >= day && l.end < day + DAY_MS).sort((a, b) => a.end - b.end),
      };
      this.indexes.set(day, index);
    }
    return index;
  }

  private loginsOfDay(day: number): Login[] {
    let logins = this.logins.get(day);
    if (logins === undefined) {
      logins = [];
      for (let hour = day; hour < day + DAY_MS; hour += HOUR_MS) {
        const count = eventsInHour(this.seed, LOGIN_KIND, hour, this.loginsPerHour);
        for (let i = 0; i < count; i++) {
          const rnd = new Random(mix(this.seed, LOGIN_KIND, hour, i));
          logins.push(this.loginAt(eventTime(hour, i, count, rnd), rnd));
        }
      }
      this.logins.set(day, logins);
    }
    return logins;
  }

  /**
   * A session for a row outside the hour plans (a file of a declared size) at `t`: one open then
   * when there is one, else a successful login just before. An org whose scenario has few or no
   * logins still needs someone to log out in a declared-size Logout file.
   */
  sessionAt(t: number, rnd: Random): Login {
    const channel: Channel = rnd.chance(0.8) ? "browser" : "api";
    return this.openSession(t, channel, rnd) ?? this.loginAt(t - 20 * 60_000, rnd, "LOGIN_NO_ERROR");
  }

  /** A login attempt at `time` drawn with `rnd`: the same draw as the hour plans use. */
  loginAt(time: number, rnd: Random, outcome?: string): Login {
    const user = rnd.weighted(this.userTable);
    const channel: Channel = user.kind === "integration" || rnd.chance(0.08) ? "api" : "browser";
    const status = outcome ?? rnd.weighted(channel === "browser" ? BROWSER_STATUSES : API_STATUSES);
    const attack = status === "LOGIN_ERROR_INVALID_PASSWORD" && rnd.chance(0.3);
    const country = attack
      ? rnd.pick(ATTACK_COUNTRIES.filter((c) => c !== user.homeCountry))
      : user.travels.length > 0 && rnd.chance(0.15)
        ? rnd.pick(user.travels)
        : user.homeCountry;
    const sourceIp = addressIn(country, rnd);
    const ok = status === "LOGIN_NO_ERROR";
    const common = {
      time,
      user,
      channel,
      status,
      country,
      sourceIp,
      loginKey: ok ? sessionKey(rnd) : "",
      sessionKey: ok ? sessionKey(rnd) : "",
    };
    if (channel === "browser") {
      const browser = rnd.pick(BROWSERS);
      return {
        ...common,
        clientIp: sourceIp,
        browser,
        userAgent: browser.userAgent,
        loginType: "A",
        loginSubType: "",
        uri: "/index.jsp",
        apiType: "",
        apiVersion: "9998.0",
        end: ok ? time + rnd.between(20 * 60_000, MAX_SESSION_MS) : time,
      };
    }
    const soap = user.kind !== "integration" && rnd.chance(0.5);
    const apiVersion = `${rnd.between(52, 62)}.0`;
    return {
      ...common,
      // Integrations hosted on the platform reach the token endpoint from inside Salesforce.
      clientIp: !soap && rnd.chance(0.4) ? "Salesforce.com IP" : sourceIp,
      browser: undefined,
      userAgent: rnd.pick(API_CLIENTS),
      loginType: soap ? "I" : "i",
      loginSubType: soap ? "" : user.kind === "integration" ? "oauthclientcredentials" : "oauthpassword",
      uri: soap ? `/services/Soap/u/${apiVersion}` : "/services/oauth2/token",
      apiType: soap ? "P" : "",
      apiVersion: soap ? apiVersion : "9998.0",
      end: ok ? time + rnd.between(5 * 60_000, 2 * HOUR_MS) : time,
    };
  }
}

interface DayIndex {
  /** Successful sessions started the day before or this day, by start time. */
  browser: Login[];
  api: Login[];
  /** Successful sessions ending this day, by end time. */
  ends: Login[];
}

/** The number of sessions that started at or before `t`. */
function upperBound(sessions: Login[], t: number): number {
  let lo = 0;
  let hi = sessions.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sessions[mid].time <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
