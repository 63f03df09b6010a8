import { describe, expect, it } from 'vitest';
import { LruMap } from '../../../src/lib/ingest/lru.js';

describe('LruMap', () => {
  it('keeps what was used since the last generation change and drops what was not', () => {
    const lru = new LruMap<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    // The young generation is full: c starts a new one, a and b age.
    lru.set('c', 3);
    expect(lru.get('a')).toBe(1); // moved up again
    // Full again (c, a): d starts a new generation; b, never used since it aged, is gone.
    lru.set('d', 4);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe(1);
    expect(lru.get('c')).toBe(3);
    expect(lru.get('d')).toBe(4);
  });

  it('stays within twice its capacity however many keys pass through', () => {
    const lru = new LruMap<number, number>(100);
    for (let i = 0; i < 10_000; i++) lru.set(i, i);
    expect(lru.size).toBeLessThanOrEqual(200);
    expect(lru.size).toBeGreaterThanOrEqual(100);
    expect(lru.get(9_999)).toBe(9_999);
    expect(lru.get(0)).toBeUndefined();
  });

  it('updates a value in place', () => {
    const lru = new LruMap<string, number>(2);
    lru.set('a', 1);
    lru.set('a', 2);
    expect(lru.get('a')).toBe(2);
    expect(lru.size).toBe(1);
  });

  it('refuses a useless capacity', () => {
    expect(() => new LruMap(0)).toThrow(/positive integer/);
  });
});
