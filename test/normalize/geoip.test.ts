import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createNormalizer } from "../../src/normalize/normalizer.js";
import { ecsTypeProblems, parsed } from "./ecs-types.js";
import { mmdb } from "./mmdb-writer.js";

const dir = mkdtempSync(join(tmpdir(), "sfevents-geoip-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const city = join(dir, "city.mmdb");
writeFileSync(
  city,
  mmdb("203.0.113.0/24", {
    continent: { code: "EU", names: { en: "Europe" } },
    country: { iso_code: "FR", names: { en: "France" } },
    subdivisions: [{ iso_code: "IDF", names: { en: "Île-de-France" } }],
    city: { names: { en: "Paris" } },
    location: { latitude: 48.8566, longitude: 2.3522, time_zone: "Europe/Paris" },
  }),
);
const asn = join(dir, "asn.mmdb");
writeFileSync(
  asn,
  mmdb(
    "203.0.113.0/24",
    { autonomous_system_number: 64500, autonomous_system_organization: "Example Networks" },
    "GeoLite2-ASN",
  ),
);

const HEADER = ["EVENT_TYPE", "TIMESTAMP_DERIVED", "CLIENT_IP", "CLIENT_GEO"];

describe("GeoIP enrichment", () => {
  it("fills source.geo.* and source.as.* from .mmdb files, Salesforce's CLIENT_GEO winning", async () => {
    const normalizer = await createNormalizer({ geoipPath: city, asnPath: asn });
    const plan = parsed(normalizer.forHeader(HEADER));
    const doc = plan(["URI", "2026-11-20T09:30:15.123Z", "203.0.113.9", "France/Paris Region"]);
    expect(doc.source).toEqual({
      ip: "203.0.113.9",
      address: "203.0.113.9",
      geo: {
        continent_code: "EU",
        continent_name: "Europe",
        country_iso_code: "FR",
        country_name: "France",
        region_iso_code: "FR-IDF",
        region_name: "Paris Region",
        city_name: "Paris",
        timezone: "Europe/Paris",
        location: { lat: 48.8566, lon: 2.3522 },
      },
      as: { number: 64500, organization: { name: "Example Networks" } },
    });
    expect(ecsTypeProblems(doc)).toEqual([]);
    const elsewhere = plan(["URI", "2026-11-20T09:30:15.123Z", "198.51.100.1", ""]);
    expect(elsewhere.source).toEqual({ ip: "198.51.100.1", address: "198.51.100.1" });
    await normalizer.close();
  });

  it("looks nothing up without a file", async () => {
    const normalizer = await createNormalizer();
    const doc = parsed(normalizer.forHeader(HEADER))(["URI", "2026-11-20T09:30:15.123Z", "203.0.113.9", ""]);
    expect(doc.source).toEqual({ ip: "203.0.113.9", address: "203.0.113.9" });
  });

  it("says which file it cannot open and what to do", async () => {
    await expect(createNormalizer({ geoipPath: join(dir, "missing.mmdb") })).rejects.toThrow(
      /Cannot open the GeoIP database .*missing\.mmdb.*\.mmdb file/,
    );
    writeFileSync(join(dir, "not.mmdb"), "hello");
    await expect(createNormalizer({ geoipPath: join(dir, "not.mmdb") })).rejects.toThrow(/not\.mmdb/);
  });
});
