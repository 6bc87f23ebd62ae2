import UAParser from "ua-parser-js";

/** The parts of ECS `user_agent.*` a user agent string yields; a part that is not known is absent. */
export interface ParsedUserAgent {
  name?: string;
  version?: string;
  os?: { name?: string; version?: string };
  device?: { name: string };
}

/** HTTP libraries write `product/version` and nothing else (python-requests/2.28.0, Go-http-client/1.1). */
const LIBRARY = /^([A-Za-z][\w.-]*)\/(\d[\w.-]*)$/;

/**
 * Parses user agent strings with ua-parser-js (1.x: MIT; 2.x is AGPL and must not be used).
 * Parsing costs tens of microseconds and an org has few distinct agents, so results are cached;
 * the cache is cleared when full, which keeps memory bounded with no bookkeeping per hit.
 */
export class UserAgentParser {
  private readonly cache = new Map<string, ParsedUserAgent>();

  constructor(private readonly maxEntries = 10_000) {}

  parse(ua: string): ParsedUserAgent {
    let parsed = this.cache.get(ua);
    if (parsed === undefined) {
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      parsed = parseUncached(ua);
      this.cache.set(ua, parsed);
    }
    return parsed;
  }
}

function parseUncached(ua: string): ParsedUserAgent {
  const result = new UAParser(ua).getResult();
  const parsed: ParsedUserAgent = {};
  let { name, version } = result.browser;
  if (name === undefined) {
    const library = LIBRARY.exec(ua);
    if (library !== null) [, name, version] = library;
  }
  if (name !== undefined) parsed.name = name;
  if (version !== undefined) parsed.version = version;
  if (result.os.name !== undefined) {
    parsed.os = { name: result.os.name };
    if (result.os.version !== undefined) parsed.os.version = result.os.version;
  }
  const device = result.device.model ?? result.device.vendor;
  if (device !== undefined) parsed.device = { name: device };
  return parsed;
}
