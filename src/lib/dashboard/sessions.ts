import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { PostgresQueryable } from '../storage/postgres/index.js';

/**
 * Login sessions in Postgres `user_sessions`. The cookie carries 32 random bytes; only their SHA-256 is
 * stored, so a copy of the database does not hand out logins. A session slides: each use (written at most
 * once a minute, so reads stay reads) pushes expiry IDLE_DAYS ahead, never past MAX_DAYS after login.
 */
export const SESSION_IDLE_DAYS = 14;
export const SESSION_MAX_DAYS = 90;
const TOUCH_RESOLUTION = '1 minute';

export interface SessionUser {
  id: number;
  email: string;
  name: string;
  isAdmin: boolean;
}

export interface DashboardSession {
  id: number;
  user: SessionUser;
  /** Sent with every state-changing request; derived from the cookie token, so it is stored nowhere. */
  csrfToken: string;
  expiresAt: Date;
}

export interface CreatedSession extends DashboardSession {
  /** The cookie value: returned once, stored only as a hash. */
  token: string;
}

export function hashSessionToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** A per-session CSRF token: an HMAC keyed by the session token, which only the cookie's owner has. */
export function csrfTokenForSession(token: string): string {
  return createHmac('sha256', token).update('analytics dashboard csrf').digest('base64url');
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

interface SessionRow {
  id: string | number;
  expires_at: Date | string;
  user_id: string | number;
  email: string;
  name: string;
  is_admin: boolean;
}

export async function createSession(
  db: PostgresQueryable,
  userId: number,
  options: { userAgent?: string } = {},
): Promise<CreatedSession> {
  const token = randomBytes(32).toString('base64url');
  const [row] = await db.query<SessionRow>(
    `WITH s AS (
       INSERT INTO user_sessions (user_id, token_hash, user_agent, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(days => ${SESSION_IDLE_DAYS}))
       RETURNING id, user_id, expires_at)
     SELECT s.id, s.expires_at, u.id AS user_id, u.email, u.name, u.is_admin FROM s JOIN users u ON u.id = s.user_id`,
    [userId, hashSessionToken(token), (options.userAgent ?? '').slice(0, 512)],
  );
  if (!row) throw new Error(`no user ${userId} to open a session for`);
  return { ...toSession(row, token), token };
}

/** The live session for a cookie token (marking it used), or undefined when unknown or expired. */
export async function findSession(db: PostgresQueryable, token: string): Promise<DashboardSession | undefined> {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  const hash = hashSessionToken(token);
  const [row] = await db.query<SessionRow>(
    `SELECT s.id, s.expires_at, u.id AS user_id, u.email, u.name, u.is_admin
     FROM user_sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = $1 AND s.expires_at > now()`,
    [hash],
  );
  if (!row) return undefined;
  const touched = await db.query<{ expires_at: Date | string }>(
    `UPDATE user_sessions
     SET last_used_at = now(),
         expires_at = least(now() + make_interval(days => ${SESSION_IDLE_DAYS}), created_at + make_interval(days => ${SESSION_MAX_DAYS}))
     WHERE id = $1 AND last_used_at < now() - interval '${TOUCH_RESOLUTION}'
     RETURNING expires_at`,
    [row.id],
  );
  return toSession(touched[0] ? { ...row, expires_at: touched[0].expires_at } : row, token);
}

/** Logout: the session is gone from the database, so a copied cookie stops working too. */
export async function deleteSession(db: PostgresQueryable, token: string): Promise<boolean> {
  if (!TOKEN_PATTERN.test(token)) return false;
  const rows = await db.query('DELETE FROM user_sessions WHERE token_hash = $1 RETURNING id', [hashSessionToken(token)]);
  return rows.length > 0;
}

export async function deleteExpiredSessions(db: PostgresQueryable): Promise<number> {
  const rows = await db.query('DELETE FROM user_sessions WHERE expires_at <= now() RETURNING id');
  return rows.length;
}

function toSession(row: SessionRow, token: string): DashboardSession {
  return {
    id: Number(row.id),
    user: { id: Number(row.user_id), email: row.email, name: row.name, isAdmin: row.is_admin },
    csrfToken: csrfTokenForSession(token),
    expiresAt: new Date(row.expires_at),
  };
}
