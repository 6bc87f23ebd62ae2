import type { Route } from "./faults.js";

/** A request's place in the API, read from its path alone. */
export type Target =
  | { route: "token" | "userinfo" | "versions" }
  | {
      route: "resources" | "query" | "limits" | "sobjects" | "unknown";
      major: number;
      version: string;
    }
  | { route: "describe"; major: number; version: string; object: string }
  | { route: "queryMore"; major: number; version: string; locator: string; offset: number }
  | { route: "download" | "record"; major: number; version: string; fileId: string };

/** Routes of /__sim/stats and faults; the global describe counts with describe. */
export function routeOf(target: Target): Route {
  return target.route === "sobjects" ? "describe" : target.route;
}

const VERSIONED = /^\/services\/data\/v(\d+)\.0(\/.*)?$/;
const LOCATOR_PAGE = /^\/query\/([A-Za-z0-9]+)-(\d+)\/?$/;
const LOG_FILE = /^\/sobjects\/EventLogFile\/([A-Za-z0-9]+)\/LogFile\/?$/i;
const DESCRIBE = /^\/sobjects\/([A-Za-z0-9_]+)\/describe\/?$/i;
const RECORD = /^\/sobjects\/EventLogFile\/([A-Za-z0-9]+)\/?$/i;

/** Where a path leads; undefined for paths outside the simulated API. */
export function resolveTarget(path: string): Target | undefined {
  if (path === "/services/oauth2/token") return { route: "token" };
  if (path === "/services/oauth2/userinfo") return { route: "userinfo" };
  if (path === "/services/data" || path === "/services/data/") return { route: "versions" };
  const versioned = VERSIONED.exec(path);
  if (versioned === null) return undefined;
  const major = Number(versioned[1]);
  const version = `${major}.0`;
  const rest = versioned[2] ?? "/";
  const at = { major, version };
  if (rest === "/") return { route: "resources", ...at };
  if (rest === "/query" || rest === "/query/") return { route: "query", ...at };
  if (rest === "/limits" || rest === "/limits/") return { route: "limits", ...at };
  if (rest === "/sobjects" || rest === "/sobjects/") return { route: "sobjects", ...at };
  const describe = DESCRIBE.exec(rest);
  if (describe !== null) return { route: "describe", ...at, object: describe[1] };
  const page = LOCATOR_PAGE.exec(rest);
  if (page !== null) return { route: "queryMore", ...at, locator: page[1], offset: Number(page[2]) };
  const download = LOG_FILE.exec(rest);
  if (download !== null) return { route: "download", ...at, fileId: download[1] };
  const record = RECORD.exec(rest);
  if (record !== null) return { route: "record", ...at, fileId: record[1] };
  return { route: "unknown", ...at };
}
