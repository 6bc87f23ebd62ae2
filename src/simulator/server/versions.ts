/** The oldest REST API version still served: 21.0 to 30.0 were retired in Summer '25. */
export const OLDEST_SUPPORTED_VERSION = 31;

const SEASONS = ["Spring", "Summer", "Winter"] as const;

/** A release's name: 60.0 is Spring '24, and three releases a year follow (Winter is named for the next year). */
export function releaseLabel(major: number): string {
  const step = major - 60;
  const season = SEASONS[((step % 3) + 3) % 3];
  const year = 24 + Math.floor((step + 1) / 3);
  return `${season} '${String(year).padStart(2, "0")}`;
}

/** GET /services/data/: every supported version, oldest first, as Salesforce lists them. */
export function versionList(latest: number): string {
  const versions = [];
  for (let major = OLDEST_SUPPORTED_VERSION; major <= latest; major++) {
    versions.push({ label: releaseLabel(major), url: `/services/data/v${major}.0`, version: `${major}.0` });
  }
  return JSON.stringify(versions);
}

export type VersionStatus = "supported" | "retired" | "unknown";

export function versionStatus(major: number, latest: number): VersionStatus {
  if (major < OLDEST_SUPPORTED_VERSION) return "retired";
  return major > latest ? "unknown" : "supported";
}

/** GET /services/data/vNN.0/: the resources this org answers (a subset of Salesforce's list). */
export function versionResources(version: string): string {
  const base = `/services/data/v${version}`;
  return JSON.stringify({
    limits: `${base}/limits`,
    query: `${base}/query`,
    sobjects: `${base}/sobjects`,
  });
}
