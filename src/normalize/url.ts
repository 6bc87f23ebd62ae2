/** The ECS `url.*` parts of an absolute URL. */
export interface UrlParts {
  scheme: string;
  domain: string;
  port?: number;
  path?: string;
  query?: string;
  fragment?: string;
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 };

/**
 * Splits an absolute URL (LOGIN_URL, REPORT_URL, a callout's URL) into ECS parts, as Sekoia.io's
 * platform does after its parser. A value without a scheme (LOGIN_URL is often a bare host) is
 * left whole. Registered domain and suffix need the public suffix list and are not derived.
 * Parsed values repeat (one login host per org), so results are cached, bounded like the agents.
 */
export class UrlSplitter {
  private readonly cache = new Map<string, UrlParts | null>();

  constructor(private readonly maxEntries = 10_000) {}

  split(value: string): UrlParts | undefined {
    let parts = this.cache.get(value);
    if (parts === undefined) {
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      parts = splitUncached(value);
      this.cache.set(value, parts);
    }
    return parts ?? undefined;
  }
}

function splitUncached(value: string): UrlParts | null {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.hostname === "") return null;
  const scheme = url.protocol.slice(0, -1);
  const parts: UrlParts = { scheme, domain: url.hostname };
  const port = url.port !== "" ? Number(url.port) : DEFAULT_PORTS[scheme];
  if (port !== undefined) parts.port = port;
  // new URL() adds "/" to a bare origin; only a path that was written is a path.
  if (url.pathname !== "/" || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]+\//i.test(value)) parts.path = url.pathname;
  if (url.search.length > 1) parts.query = url.search.slice(1);
  if (url.hash.length > 1) parts.fragment = url.hash.slice(1);
  return parts;
}
