/**
 * Per-key request limits kept in memory: a token bucket per key holding up to `perHour` tokens and
 * refilling continuously, so a client may burst up to its hourly allowance and then gets one request
 * per 3600/perHour seconds. With several servers each counts on its own (limit × servers in total).
 */

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export interface Allowance {
  allowed: boolean;
  /** Whole requests left right now. */
  remaining: number;
  /** When refused: seconds until one request is allowed again. */
  retryAfterSeconds: number;
}

const HOUR_MS = 3_600_000;
/** Keys unused for this long are forgotten (their bucket would be full again anyway). */
const IDLE_MS = HOUR_MS;

export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  take(key: string, perHour: number, nowMs: number): Allowance {
    this.sweep(nowMs);
    const capacity = Math.max(0, perHour);
    const bucket = this.buckets.get(key) ?? { tokens: capacity, updatedAt: nowMs };
    const rate = capacity / HOUR_MS;
    // A lowered limit applies at once (the bucket is clamped to it).
    bucket.tokens = Math.min(capacity, bucket.tokens + Math.max(0, nowMs - bucket.updatedAt) * rate);
    bucket.updatedAt = nowMs;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens), retryAfterSeconds: 0 };
    }
    const retryAfterSeconds = rate > 0 ? Math.ceil((1 - bucket.tokens) / rate / 1000) : 3600;
    return { allowed: false, remaining: 0, retryAfterSeconds };
  }

  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweep < IDLE_MS) return;
    this.lastSweep = nowMs;
    for (const [key, bucket] of this.buckets) if (nowMs - bucket.updatedAt > IDLE_MS) this.buckets.delete(key);
  }
}
