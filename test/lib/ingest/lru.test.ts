import { describe, expect, it } from 'vitest';
import { LruMap } from '../../../src/lib/ingest/lru.js';

describe('LruMap', () => {
  it('evicts the least recently used key beyond capacity', () => {
    const lru = new LruMap<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe(1);
    expect(lru.get('c')).toBe(3);
    expect(lru.size).toBe(2);
  });

  it('refuses a useless capacity', () => {
    expect(() => new LruMap(0)).toThrow(/positive integer/);
  });
});
