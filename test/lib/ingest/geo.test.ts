import { describe, expect, it } from 'vitest';
import { bundledCountryDatabasePath, countryCodeOf, loadCountryLookup } from '../../../src/lib/ingest/geo.js';

describe('country lookup with the bundled database', () => {
  const lookup = loadCountryLookup();

  it('loads the package database by default', () => {
    expect(lookup.source.path).toBe(bundledCountryDatabasePath());
    expect(lookup.source.builtAt.getTime()).toBeGreaterThan(Date.UTC(2020, 0, 1));
  });

  it.each([
    ['8.8.8.8', 'US'], // Google DNS
    ['1.1.1.1', 'US'], // Cloudflare (registered to APNIC research but announced by a US network)
    ['193.0.6.139', 'NL'], // RIPE NCC, Amsterdam
    ['202.12.27.33', 'JP'], // M-root (WIDE), Tokyo
    ['2001:4860:4860::8888', 'US'], // Google DNS over IPv6
    ['::ffff:8.8.8.8', 'US'],
  ])('%s → %s', (ip, country) => {
    expect(lookup.country(ip)).toBe(country);
  });

  it.each(['127.0.0.1', '10.1.2.3', '192.168.0.1', '172.16.0.1', '::1', 'fd00::1', '', 'not-an-ip'])(
    '%j has no country',
    (ip) => {
      expect(lookup.country(ip)).toBe('');
    },
  );

  it('answers fast enough for the request path', () => {
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) lookup.country(`81.${i % 250}.${i % 200}.1`);
    const perLookupMicros = ((performance.now() - started) / 10_000) * 1000;
    expect(perLookupMicros).toBeLessThan(50);
  });
});

describe('country lookup with a configured database', () => {
  it('refuses a path that is not an MMDB file', () => {
    expect(() => loadCountryLookup(new URL(import.meta.url).pathname)).toThrow();
  });
});

describe('countryCodeOf', () => {
  it('reads ip-location-db and MaxMind GeoLite2 Country/City records', () => {
    expect(countryCodeOf({ country_code: 'DE' })).toBe('DE');
    expect(countryCodeOf({ country: { iso_code: 'FR' }, registered_country: { iso_code: 'US' } })).toBe('FR');
    expect(countryCodeOf({ registered_country: { iso_code: 'GB' } })).toBe('GB');
  });

  it.each([null, {}, { country_code: 'ZZ' }, { country: { iso_code: 'T1' } }, { country_code: 'EU' }, { country_code: 'USA' }])(
    '%j has no country',
    (record) => {
      expect(countryCodeOf(record)).toBe('');
    },
  );
});
