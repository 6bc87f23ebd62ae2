import { ExplainedError } from "../core/errors.js";
import { access } from "node:fs/promises";
import maxmind, { type AsnResponse, type CityResponse, type Reader } from "maxmind";

type GeoRecord = CityResponse & Partial<AsnResponse>;

/** ECS `source.geo.*` and `source.as.*` for one address. */
export interface GeoFields {
  geo?: Record<string, unknown>;
  as?: { number?: number; organization?: { name: string } };
}

/** A GeoIP database that cannot be opened: a setting the user must fix. */
export class GeoIpError extends ExplainedError {
  constructor(message: string) {
    super(message, "stop");
  }
}

/**
 * Looks addresses up in MaxMind or DB-IP .mmdb files (City or Country, and ASN; a file holding
 * both kinds of data fills both). Without a file nothing is opened and nothing is looked up.
 */
export class GeoIp {
  private constructor(private readonly readers: Reader<GeoRecord>[]) {}

  static async open(paths: readonly (string | undefined)[]): Promise<GeoIp | undefined> {
    const readers: Reader<GeoRecord>[] = [];
    for (const path of paths) {
      if (path === undefined) continue;
      try {
        await access(path);
        readers.push(await maxmind.open<GeoRecord>(path, { cache: { max: 10_000 } }));
      } catch (err) {
        throw new GeoIpError(
          `Cannot open the GeoIP database ${path} (${(err as Error).message}). ` +
            "Give the path of a MaxMind or DB-IP .mmdb file, or remove the GeoIP setting.",
        );
      }
    }
    return readers.length > 0 ? new GeoIp(readers) : undefined;
  }

  lookup(ip: string): GeoFields | undefined {
    let fields: GeoFields | undefined;
    for (const reader of this.readers) {
      const record = reader.get(ip);
      if (record === null) continue;
      fields ??= {};
      const geo = geoOf(record);
      if (geo !== undefined) fields.geo = { ...geo, ...fields.geo };
      if (record.autonomous_system_number !== undefined) {
        fields.as = { number: record.autonomous_system_number };
        if (record.autonomous_system_organization)
          fields.as.organization = { name: record.autonomous_system_organization };
      }
    }
    return fields;
  }
}

function geoOf(record: CityResponse): Record<string, unknown> | undefined {
  const geo: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined && value !== null && value !== "") geo[key] = value;
  };
  set("continent_code", record.continent?.code);
  set("continent_name", record.continent?.names?.en);
  set("country_iso_code", record.country?.iso_code);
  set("country_name", record.country?.names?.en);
  const region = record.subdivisions?.[0];
  set("region_iso_code", region?.iso_code ? `${record.country?.iso_code}-${region.iso_code}` : undefined);
  set("region_name", region?.names?.en);
  set("city_name", record.city?.names?.en);
  set("postal_code", record.postal?.code);
  set("timezone", record.location?.time_zone);
  const { latitude, longitude } = record.location ?? {};
  if (latitude !== undefined && longitude !== undefined) geo.location = { lat: latitude, lon: longitude };
  return Object.keys(geo).length > 0 ? geo : undefined;
}
