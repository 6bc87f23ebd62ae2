import { toCaseSafeId } from "../../salesforce/ids.js";
import { BASE62, recordId } from "./ids.js";
import { mix, Random, weights } from "./random.js";

/** Who works in the simulated org: its id, its users, where they connect from and with what. */

export type UserKind = "person" | "admin" | "integration";

export interface OrgUser {
  id15: string;
  id18: string;
  name: string;
  username: string;
  kind: UserKind;
  /** Where the user usually connects from (ISO 3166 alpha-2); they travel to `travels` now and then. */
  homeCountry: string;
  travels: string[];
  /** Relative share of the org's activity. */
  activity: number;
}

export interface OrgProfile {
  orgId15: string;
  /** The two characters after the key prefix in every record id of this org (its instance). */
  instance: string;
  /** The My Domain host users log in to. */
  myDomain: string;
  users: OrgUser[];
  /** The Automated Process user, under which scheduled and asynchronous Apex runs. */
  automatedProcess: OrgUser;
  /** The guest user of the org's public site. */
  siteGuest: OrgUser;
}

/**
 * Address blocks allocated to access providers in each country (public registry data, shown for
 * realism only: a block can be reassigned, so GeoIP answers may drift).
 */
export const COUNTRY_BLOCKS: Record<string, readonly string[]> = {
  US: ["73.0.0.0/8", "24.0.0.0/12"],
  FR: ["90.0.0.0/9", "86.192.0.0/11"],
  DE: ["91.0.0.0/10", "79.192.0.0/10"],
  GB: ["86.128.0.0/10", "81.2.69.0/24"],
  ES: ["88.0.0.0/11"],
  IN: ["117.192.0.0/10", "103.108.207.0/24"],
  JP: ["126.0.0.0/8"],
  BR: ["187.0.0.0/10"],
  AU: ["1.120.0.0/13"],
  NG: ["105.112.0.0/12"],
  CN: ["175.16.0.0/13"],
};

const FIRST_NAMES = [
  "Alice",
  "Bruno",
  "Chloé",
  "David",
  "Emma",
  "Farid",
  "Grace",
  "Hiroshi",
  "Inès",
  "James",
  "Kavya",
  "Liam",
  "María",
  "Nicolas",
  "Olivia",
  "Priya",
  "Quentin",
  "Rafael",
  "Sofia",
  "Thomas",
  "Uma",
  "Victor",
  "Wei",
  "Yasmine",
];
const LAST_NAMES = [
  "Martin",
  "Bernard",
  "Dubois",
  "Smith",
  "Johnson",
  "Müller",
  "Schmidt",
  "García",
  "López",
  "Sato",
  "Tanaka",
  "Patel",
  "Sharma",
  "Silva",
  "Santos",
  "Brown",
  "Wilson",
  "O'Brien",
  "Nguyen",
  "Okafor",
  "Rossi",
  "Moreau",
];
const INTEGRATIONS = ["sekoia", "mulesoft", "datawarehouse", "marketing-sync", "billing"];
const HOME_COUNTRIES = weights<string>([
  ["US", 5],
  ["FR", 4],
  ["GB", 2],
  ["DE", 2],
  ["ES", 1],
  ["IN", 2],
  ["JP", 1],
  ["BR", 1],
  ["AU", 1],
]);

const USER_COUNT = 36;

export function buildOrgProfile(seed: number): OrgProfile {
  const rnd = new Random(mix(seed, 0x0d));
  const instance = rnd.pick(["5j", "8d", "4x", "Dn", "3k"]);
  const orgId15 = `00D${instance}0000${rnd.chars(BASE62, 6)}`;
  const domain = `acme-${orgId15.slice(-4).toLowerCase()}`;
  const myDomain = `${domain}.my.salesforce.com`;
  const userBase = rnd.between(1_000_000, 50_000_000);
  const users: OrgUser[] = [];
  const makeUser = (name: string, username: string, kind: UserKind, activity: number): OrgUser => {
    const id15 = recordId("005", instance, userBase + users.length * rnd.between(1, 900));
    const homeCountry = kind === "integration" ? "US" : rnd.weighted(HOME_COUNTRIES);
    const travels = Object.keys(COUNTRY_BLOCKS).filter((c) => c !== homeCountry && rnd.chance(0.15));
    const user = { id15, id18: toCaseSafeId(id15), name, username, kind, homeCountry, travels, activity };
    users.push(user);
    return user;
  };
  for (let i = 0; users.length < USER_COUNT - INTEGRATIONS.length; i++) {
    const first = FIRST_NAMES[(i * 7 + rnd.below(3)) % FIRST_NAMES.length];
    const last = LAST_NAMES[(i * 5 + rnd.below(5)) % LAST_NAMES.length];
    const login = `${first}.${last}`
      .normalize("NFD")
      .replace(/[^A-Za-z.]/g, "")
      .toLowerCase();
    makeUser(
      `${first} ${last}`,
      `${login}${i}@${domain}.example.com`,
      i < 3 ? "admin" : "person",
      rnd.between(1, 6),
    );
  }
  for (const name of INTEGRATIONS) {
    makeUser(`${name} integration`, `integration.${name}@${domain}.example.com`, "integration", 8);
  }
  // Users nobody logs in as: they only appear in rows of asynchronous work and public sites.
  const systemUser = (serial: number, name: string, username: string): OrgUser => {
    const id15 = recordId("005", instance, serial);
    return {
      id15,
      id18: toCaseSafeId(id15),
      name,
      username,
      kind: "integration",
      homeCountry: "US",
      travels: [],
      activity: 0,
    };
  };
  const automatedProcess = systemUser(userBase - 1, "Automated Process", `autoproc@${orgId15.toLowerCase()}`);
  const siteGuest = systemUser(userBase - 2, "Support Site Guest User", `support@${domain}.force.com`);
  return { orgId15, instance, myDomain, users, automatedProcess, siteGuest };
}

/** COUNTRY_BLOCKS parsed once: [first address, number of addresses] per block. */
const PARSED_BLOCKS: Record<string, [number, number][]> = Object.fromEntries(
  Object.entries(COUNTRY_BLOCKS).map(([country, blocks]) => [
    country,
    blocks.map((block): [number, number] => {
      const [base, bits] = block.split("/");
      const first = base.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
      return [first, 2 ** (32 - Number(bits))];
    }),
  ]),
);

/** A public address of `country` (one of COUNTRY_BLOCKS), never a .0 or .255. */
export function addressIn(country: string, rnd: Random): string {
  const [first, size] = rnd.pick(PARSED_BLOCKS[country]);
  // Odd hosts never end in .0; step back from .255.
  let host = rnd.below(size) | 1;
  if ((host & 0xff) === 0xff) host -= 2;
  const value = first + host;
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

export interface Browser {
  userAgent: string;
  name: string;
  version: string;
  osName: string;
  osVersion: string;
  /** Logout PLATFORM_TYPE code. */
  platformType: string;
}

export const BROWSERS: readonly Browser[] = [
  {
    userAgent:
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    name: "CHROME",
    version: "126",
    osName: "WINDOWS",
    osVersion: "10",
    platformType: "1015",
  },
  {
    userAgent:
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    name: "SAFARI",
    version: "17",
    osName: "MAC_OSX",
    osVersion: "10.15.7",
    platformType: "2003",
  },
  {
    userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    name: "FIREFOX",
    version: "127",
    osName: "WINDOWS",
    osVersion: "10",
    platformType: "1015",
  },
  {
    userAgent:
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 Edg/125.0.2535.85",
    name: "EDGE",
    version: "125",
    osName: "WINDOWS",
    osVersion: "10",
    platformType: "1015",
  },
  {
    userAgent:
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    name: "CHROME",
    version: "124",
    osName: "LINUX",
    osVersion: "",
    platformType: "4000",
  },
  {
    userAgent:
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 SalesforceMobileSDK/11.1.0",
    name: "SALESFORCE_MOBILE",
    version: "11.1.0",
    osName: "IOS",
    osVersion: "17.5",
    platformType: "5006",
  },
];

export const API_CLIENTS: readonly string[] = [
  "python-requests/2.31.0",
  "Go-http-client/1.1",
  "Jakarta Commons-HttpClient/3.1",
  "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
  "SFDC-Callout/60.0",
  "Apache-HttpClient/4.5.14 (Java/17.0.10)",
];
