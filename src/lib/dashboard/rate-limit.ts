import { createHash } from 'node:crypto';
import type { PostgresQueryable } from '../storage/postgres/index.js';

export interface LoginRateLimits {
  /** Attempts allowed per client address and email within one window. */
  perAccount: number;
  /** Attempts allowed per client address over all emails (a password sprayer) within one window. */
  perAddress: number;
  windowSeconds: number;
}

export const DEFAULT_LOGIN_RATE_LIMITS: LoginRateLimits = { perAccount: 5, perAddress: 50, windowSeconds: 15 * 60 };

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Login throttling in Postgres (`login_throttle`), so it holds across restarts and across several servers.
 * An attempt is counted before the password is checked, in one atomic upsert per key, so a burst of
 * parallel guesses cannot slip through between a check and an increment; a successful login takes its
 * attempt back, so what remains counted is failures. Keys are SHA-256 digests, and rows older than a window are
 * deleted as attempts come in, so no client address is kept in clear or for long.
 */
export class LoginRateLimiter {
  constructor(
    private readonly db: PostgresQueryable,
    readonly limits: LoginRateLimits = DEFAULT_LOGIN_RATE_LIMITS,
  ) {}

  /** Counts one attempt and says whether it may go on to the password check. */
  async attempt(ip: string, email: string): Promise<RateLimitDecision> {
    const window = this.limits.windowSeconds;
    await this.db.query(
      `DELETE FROM login_throttle WHERE window_started_at < now() - make_interval(secs => $1)`,
      [window * 2],
    );
    const counts = await Promise.all([
      this.count(accountKey(ip, email)),
      this.count(addressKey(ip)),
    ]);
    const [account, address] = counts;
    const over = [
      account && account.failures > this.limits.perAccount ? account : undefined,
      address && address.failures > this.limits.perAddress ? address : undefined,
    ].filter((c) => c !== undefined);
    if (over.length === 0) return { allowed: true };
    const retryAfterSeconds = Math.max(...over.map((c) => Math.ceil(c.windowEndsInSeconds)), 1);
    return { allowed: false, retryAfterSeconds };
  }

  /**
   * After a successful login: the address+email pair starts afresh, and the attempt is taken back from the
   * address's count, so many people logging in from one office address are not throttled for succeeding.
   */
  async succeeded(ip: string, email: string): Promise<void> {
    await this.db.query('DELETE FROM login_throttle WHERE key_hash = $1', [accountKey(ip, email)]);
    await this.db.query('UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE key_hash = $1', [addressKey(ip)]);
  }

  private async count(key: Buffer): Promise<{ failures: number; windowEndsInSeconds: number }> {
    const [row] = await this.db.query<{ failures: number; ends_in: number | string }>(
      `INSERT INTO login_throttle AS t (key_hash, failures, window_started_at) VALUES ($1, 1, now())
       ON CONFLICT (key_hash) DO UPDATE SET
         failures = CASE WHEN t.window_started_at <= now() - make_interval(secs => $2) THEN 1 ELSE t.failures + 1 END,
         window_started_at = CASE WHEN t.window_started_at <= now() - make_interval(secs => $2) THEN now() ELSE t.window_started_at END
       RETURNING failures, extract(epoch FROM (window_started_at + make_interval(secs => $2) - now()))::float8 AS ends_in`,
      [key, this.limits.windowSeconds],
    );
    return { failures: Number(row?.failures ?? 0), windowEndsInSeconds: Number(row?.ends_in ?? this.limits.windowSeconds) };
  }
}

function accountKey(ip: string, email: string): Buffer {
  return createHash('sha256').update(`login\0${ip}\0${email.trim().toLowerCase()}`).digest();
}

function addressKey(ip: string): Buffer {
  return createHash('sha256').update(`login\0${ip}`).digest();
}
