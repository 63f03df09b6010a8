import { describe, expect, it } from 'vitest';
import { ReusableBuffer } from '../../../src/lib/spool/reusable-buffer.js';

describe('ReusableBuffer', () => {
  it('hands out views of the requested length over one buffer, growing it when needed', () => {
    const reusable = new ReusableBuffer(8);
    const first = reusable.take(5);
    expect(first.length).toBe(5);
    first.write('hello');
    // Same memory while it fits.
    expect(reusable.take(5).toString()).toBe('hello');
    const grown = reusable.take(20_000);
    expect(grown.length).toBe(20_000);
    grown.write('world');
    // The old view is stale; later views share the grown memory.
    expect(first.toString()).toBe('hello');
    expect(reusable.take(5).toString()).toBe('world');
  });
});
