import { describe, expect, it } from 'vitest';
import { TokenBucketLimiter } from '../../../src/lib/server/rate-limit.js';

describe('TokenBucketLimiter', () => {
  it('allows a burst of the hourly limit, then one request per hour/limit', () => {
    const limiter = new TokenBucketLimiter();
    const t0 = Date.UTC(2026, 0, 1);
    const results = Array.from({ length: 4 }, () => limiter.take('k', 3, t0));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0]);
    expect(results[3]?.retryAfterSeconds).toBe(1200);
    expect(limiter.take('k', 3, t0 + 1_199_000).allowed, 'just before a token is back').toBe(false);
    expect(limiter.take('k', 3, t0 + 1_200_000).allowed, '20 minutes later').toBe(true);
    expect(limiter.take('other', 3, t0).allowed, 'keys are separate').toBe(true);
  });

  it('never holds more than the limit, and a lowered limit applies at once', () => {
    const limiter = new TokenBucketLimiter();
    const t0 = 0;
    expect(limiter.take('k', 2, t0).remaining).toBe(1);
    expect(limiter.take('k', 2, t0 + 10 * 3_600_000).remaining, 'refilled to 2, not 20').toBe(1);
    limiter.take('k', 5, t0 + 20 * 3_600_000);
    // 5 tokens refilled, one spent: 4 left, but the limit is now 1, so only one more goes through.
    expect(limiter.take('k', 1, t0 + 20 * 3_600_000 + 1).allowed).toBe(true);
    expect(limiter.take('k', 1, t0 + 20 * 3_600_000 + 2).allowed).toBe(false);
    expect(limiter.take('k', 0, t0 + 30 * 3_600_000).allowed, 'a limit of 0 refuses everything').toBe(false);
  });
});
