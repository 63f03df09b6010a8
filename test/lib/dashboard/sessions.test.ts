import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, setUserPassword } from '../../../src/lib/accounts/users.js';
import { INVALID_LOGIN_MESSAGE, login } from '../../../src/lib/dashboard/auth.js';
import { LoginRateLimiter } from '../../../src/lib/dashboard/rate-limit.js';
import {
  createSession,
  csrfTokenForSession,
  deleteExpiredSessions,
  deleteSession,
  findSession,
  hashSessionToken,
} from '../../../src/lib/dashboard/sessions.js';
import { findSiteForUser, sitesForUser } from '../../../src/lib/dashboard/sites.js';
import { createSite } from '../../../src/lib/sites/sites.js';
import type { PostgresStore } from '../../../src/lib/storage/postgres/index.js';
import { implementations } from './postgres-implementations.js';

describe.each(implementations)('dashboard sessions on $name', ({ open }) => {
  let db: PostgresStore;
  let cleanup: () => Promise<void>;
  let userId: number;

  beforeAll(async () => {
    ({ store: db, cleanup } = await open());
    userId = (await createUser(db, { email: 'Ada@example.com', name: 'Ada', password: 'correct horse', isAdmin: false })).id;
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it('stores only a hash of the cookie token and finds the session by the token', async () => {
    const session = await createSession(db, userId, { userAgent: 'test' });
    expect(session.token).toMatch(/^[\w-]{43}$/);
    const rows = await db.query<{ token_hash: Uint8Array; user_agent: string }>('SELECT token_hash, user_agent FROM user_sessions WHERE id = $1', [session.id]);
    expect(Buffer.from(rows[0]?.token_hash ?? []).equals(hashSessionToken(session.token))).toBe(true);
    const everything = JSON.stringify(await db.query('SELECT * FROM user_sessions'));
    expect(everything).not.toContain(session.token);

    const found = await findSession(db, session.token);
    expect(found).toMatchObject({ id: session.id, user: { id: userId, email: 'Ada@example.com', isAdmin: false } });
    expect(found?.csrfToken).toBe(csrfTokenForSession(session.token));
    const lastChar = session.token.endsWith('A') ? 'B' : 'A';
    expect(await findSession(db, `${session.token.slice(0, -1)}${lastChar}`)).toBeUndefined();
    expect(await findSession(db, 'not a token')).toBeUndefined();
  });

  it('gives each session its own CSRF token', async () => {
    const a = await createSession(db, userId);
    const b = await createSession(db, userId);
    expect(a.csrfToken).not.toBe(b.csrfToken);
    expect(a.csrfToken).toMatch(/^[\w-]{43}$/);
  });

  it('slides the expiry on use, writing last_used_at at most once a minute, never past the maximum age', async () => {
    const session = await createSession(db, userId);
    await db.query(
      `UPDATE user_sessions SET last_used_at = now() - interval '2 hours', expires_at = now() + interval '1 day' WHERE id = $1`,
      [session.id],
    );
    const touched = await findSession(db, session.token);
    expect(touched!.expiresAt.getTime()).toBeGreaterThan(Date.now() + 13 * 86400_000);
    const [row] = await db.query<{ recent: boolean }>(`SELECT last_used_at > now() - interval '1 minute' AS recent FROM user_sessions WHERE id = $1`, [session.id]);
    expect(row?.recent).toBe(true);

    // Created 89 days ago: the next use may extend it to 90 days after login, not 14 days from now.
    await db.query(
      `UPDATE user_sessions SET created_at = now() - interval '89 days', last_used_at = now() - interval '2 hours' WHERE id = $1`,
      [session.id],
    );
    const capped = await findSession(db, session.token);
    expect(capped!.expiresAt.getTime()).toBeLessThan(Date.now() + 1.1 * 86400_000);
  });

  it('does not accept an expired session, and cleans expired ones up', async () => {
    const session = await createSession(db, userId);
    await db.query(`UPDATE user_sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [session.id]);
    expect(await findSession(db, session.token)).toBeUndefined();
    expect(await deleteExpiredSessions(db)).toBeGreaterThanOrEqual(1);
    expect(await db.query('SELECT 1 FROM user_sessions WHERE id = $1', [session.id])).toHaveLength(0);
  });

  it('logs out by deleting the session, so a copied cookie stops working', async () => {
    const session = await createSession(db, userId);
    expect(await deleteSession(db, session.token)).toBe(true);
    expect(await findSession(db, session.token)).toBeUndefined();
    expect(await deleteSession(db, session.token)).toBe(false);
  });

  it('ends every session when the password changes', async () => {
    const session = await createSession(db, userId);
    await setUserPassword(db, 'ada@example.com', 'a new password');
    expect(await findSession(db, session.token)).toBeUndefined();
    await setUserPassword(db, 'ada@example.com', 'correct horse');
  });

  it('logs in with the right password (email in any case) and gives the same answer for a wrong password and an unknown user', async () => {
    const limiter = new LoginRateLimiter(db, { perAccount: 100, perAddress: 100, windowSeconds: 900 });
    const ok = await login(db, limiter, { email: 'ADA@example.com', password: 'correct horse', ip: '192.0.2.1' });
    expect(ok.status).toBe('ok');
    if (ok.status === 'ok') expect(await findSession(db, ok.session.token)).toMatchObject({ user: { id: userId } });

    const wrong = await login(db, limiter, { email: 'ada@example.com', password: 'wrong horse', ip: '192.0.2.1' });
    const unknown = await login(db, limiter, { email: 'nobody@example.com', password: 'correct horse', ip: '192.0.2.1' });
    const empty = await login(db, limiter, { email: 'ada@example.com', password: '', ip: '192.0.2.1' });
    expect(wrong).toEqual({ status: 'invalid' });
    expect(unknown).toEqual(wrong);
    expect(empty).toEqual(wrong);
    expect(INVALID_LOGIN_MESSAGE).not.toMatch(/exist|unknown|no user/i);
  });

  it('shows members their sites and admins every site', async () => {
    const mine = await createSite(db, { domain: `mine-${Date.now()}.example` });
    const other = await createSite(db, { domain: `other-${Date.now()}.example` });
    await db.query(`INSERT INTO site_memberships (site_id, user_id, role) VALUES ($1, $2, 'viewer')`, [mine.id, userId]);
    const member = { id: userId, email: 'ada@example.com', name: 'Ada', isAdmin: false };
    expect((await sitesForUser(db, member)).map((s) => s.domain)).toEqual([mine.domain]);
    expect(await findSiteForUser(db, member, mine.domain.toUpperCase())).toMatchObject({ id: mine.id, role: 'viewer' });
    expect(await findSiteForUser(db, member, other.domain)).toBeUndefined();
    expect(await findSiteForUser(db, member, '../../etc/passwd')).toBeUndefined();

    const admin = await createUser(db, { email: `admin-${Date.now()}@example.com`, name: 'Root', password: 'admin password', isAdmin: true });
    const adminSites = (await sitesForUser(db, { ...admin })).map((s) => s.domain);
    expect(adminSites).toEqual(expect.arrayContaining([mine.domain, other.domain]));
    expect(await findSiteForUser(db, admin, other.domain)).toMatchObject({ id: other.id, role: 'admin' });
  });
});
