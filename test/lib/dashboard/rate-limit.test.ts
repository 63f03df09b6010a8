import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../../src/lib/accounts/users.js';
import { login } from '../../../src/lib/dashboard/auth.js';
import { LoginRateLimiter } from '../../../src/lib/dashboard/rate-limit.js';
import type { PostgresStore } from '../../../src/lib/storage/postgres/index.js';
import { implementations } from './postgres-implementations.js';

describe.each(implementations)('login rate limit on $name', ({ open }) => {
  let db: PostgresStore;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ store: db, cleanup } = await open());
    await createUser(db, { email: 'grace@example.com', name: 'Grace', password: 'right password', isAdmin: false });
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it('allows N attempts per address and email in a window, then refuses with the time left', async () => {
    const limiter = new LoginRateLimiter(db, { perAccount: 3, perAddress: 100, windowSeconds: 600 });
    for (let i = 0; i < 3; i++) expect(await limiter.attempt('198.51.100.1', 'grace@example.com')).toEqual({ allowed: true });
    const refused = await limiter.attempt('198.51.100.1', 'GRACE@example.com ');
    expect(refused.allowed).toBe(false);
    if (!refused.allowed) {
      expect(refused.retryAfterSeconds).toBeGreaterThan(590);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(600);
    }
    // Another address, or another account from the same address, is not affected.
    expect(await limiter.attempt('198.51.100.2', 'grace@example.com')).toEqual({ allowed: true });
    expect(await limiter.attempt('198.51.100.1', 'someone@example.com')).toEqual({ allowed: true });
  });

  it('refuses even the right password while limited, without checking it', async () => {
    const limiter = new LoginRateLimiter(db, { perAccount: 2, perAddress: 100, windowSeconds: 600 });
    const attempt = (password: string) => login(db, limiter, { email: 'grace@example.com', password, ip: '203.0.113.9' });
    expect((await attempt('guess 1')).status).toBe('invalid');
    expect((await attempt('guess 2')).status).toBe('invalid');
    expect((await attempt('right password')).status).toBe('rate-limited');
  });

  it('starts a new window once the old one is over', async () => {
    const limiter = new LoginRateLimiter(db, { perAccount: 1, perAddress: 100, windowSeconds: 60 });
    expect((await limiter.attempt('203.0.113.50', 'grace@example.com')).allowed).toBe(true);
    expect((await limiter.attempt('203.0.113.50', 'grace@example.com')).allowed).toBe(false);
    await db.query(`UPDATE login_throttle SET window_started_at = now() - interval '61 seconds'`);
    expect((await limiter.attempt('203.0.113.50', 'grace@example.com')).allowed).toBe(true);
  });

  it('clears the address+email counter after a successful login', async () => {
    const limiter = new LoginRateLimiter(db, { perAccount: 2, perAddress: 100, windowSeconds: 600 });
    const attempt = (password: string) => login(db, limiter, { email: 'grace@example.com', password, ip: '203.0.113.77' });
    expect((await attempt('typo')).status).toBe('invalid');
    expect((await attempt('right password')).status).toBe('ok');
    expect((await attempt('typo')).status).toBe('invalid');
    expect((await attempt('right password')).status).toBe('ok');
  });

  it('does not count successful logins against the address (many users behind one office address)', async () => {
    const limiter = new LoginRateLimiter(db, { perAccount: 100, perAddress: 3, windowSeconds: 600 });
    for (let i = 0; i < 6; i++) {
      expect((await login(db, limiter, { email: 'grace@example.com', password: 'right password', ip: '203.0.113.88' })).status).toBe('ok');
    }
    for (let i = 0; i < 3; i++) expect((await limiter.attempt('203.0.113.88', `guess${i}@example.com`)).allowed).toBe(true);
    expect((await limiter.attempt('203.0.113.88', 'guess9@example.com')).allowed).toBe(false);
  });

  it('limits one address across many emails (password spraying)', async () => {
    const limiter = new LoginRateLimiter(db, { perAccount: 100, perAddress: 5, windowSeconds: 600 });
    for (let i = 0; i < 5; i++) expect((await limiter.attempt('192.0.2.200', `user${i}@example.com`)).allowed).toBe(true);
    expect((await limiter.attempt('192.0.2.200', 'user99@example.com')).allowed).toBe(false);
  });

  it('counts parallel attempts atomically: a burst cannot slip past the limit', async () => {
    const limiter = new LoginRateLimiter(db, { perAccount: 5, perAddress: 1000, windowSeconds: 600 });
    const results = await Promise.all(Array.from({ length: 20 }, () => limiter.attempt('192.0.2.99', 'burst@example.com')));
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
  });

  it('stores no client address in clear', async () => {
    const rows = await db.query<{ key_hash: Uint8Array }>('SELECT key_hash FROM login_throttle');
    expect(rows.length).toBeGreaterThan(0);
    const dump = JSON.stringify(await db.query('SELECT * FROM login_throttle'));
    expect(dump).not.toContain('198.51.100.1');
    expect(rows.every((r) => r.key_hash.length === 32)).toBe(true);
  });
});
