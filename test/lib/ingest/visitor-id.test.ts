import { describe, expect, it } from 'vitest';
import { SaltSet, generateSalt, visitorId } from '../../../src/lib/ingest/visitor-id.js';

const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0';

describe('visitorId', () => {
  const salt = Buffer.alloc(32, 7);

  it('is stable for the same salt, site, address and browser', () => {
    expect(visitorId(salt, 1, '198.51.100.4', UA)).toBe(visitorId(salt, 1n, '198.51.100.4', UA));
  });

  it('changes with the salt, the site, the address and the user agent', () => {
    const base = visitorId(salt, 1, '198.51.100.4', UA);
    expect(visitorId(Buffer.alloc(32, 8), 1, '198.51.100.4', UA)).not.toBe(base);
    expect(visitorId(salt, 2, '198.51.100.4', UA)).not.toBe(base);
    expect(visitorId(salt, 1, '198.51.100.5', UA)).not.toBe(base);
    expect(visitorId(salt, 1, '198.51.100.4', `${UA} `)).not.toBe(base);
  });

  it('keeps field boundaries: (site 1, ip "23…") differs from (site 12, ip "3…")', () => {
    expect(visitorId(salt, 1, '23.0.0.1', UA)).not.toBe(visitorId(salt, 12, '3.0.0.1', UA));
  });

  it('spreads over the whole UInt64 range (so SAMPLE BY user_id is fair)', () => {
    const ids = Array.from({ length: 4000 }, (_, i) => visitorId(salt, 1, `10.0.${i >> 8}.${i & 255}`, UA));
    const max = 2n ** 64n;
    expect(ids.every((id) => id >= 0n && id < max)).toBe(true);
    // Each quarter of the range gets roughly a quarter of the ids.
    const quarters = [0, 0, 0, 0];
    for (const id of ids) quarters[Number(id >> 62n)]!++;
    for (const count of quarters) expect(count).toBeGreaterThan(800);
    // The top bit is used: ids do not stop at the Int64 maximum.
    expect(ids.some((id) => id >= 2n ** 63n)).toBe(true);
  });

  it('never contains the address in any readable form', () => {
    const id = visitorId(salt, 1, '198.51.100.4', UA);
    expect(id.toString(16)).not.toContain('c6336404');
  });
});

describe('SaltSet', () => {
  it('computes ids under the current and the previous salt', () => {
    const yesterday = generateSalt();
    const today = generateSalt();
    const ids = new SaltSet(today, yesterday).visitorIds(5, '198.51.100.4', UA);
    expect(ids.current).toBe(visitorId(today, 5, '198.51.100.4', UA));
    expect(ids.previous).toBe(visitorId(yesterday, 5, '198.51.100.4', UA));
    expect(new SaltSet(today).visitorIds(5, '198.51.100.4', UA).previous).toBeNull();
  });

  it('rotates: today becomes the previous salt', () => {
    const today = generateSalt();
    const rotated = new SaltSet(today).rotate();
    expect(rotated.previous).toBe(today);
    expect(rotated.current.equals(today)).toBe(false);
  });

  it('refuses a short salt', () => {
    expect(() => new SaltSet(Buffer.alloc(4))).toThrow(/16 bytes/);
  });
});
