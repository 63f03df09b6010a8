/**
 * Password reset by email. The request always gets the same answer, whether or not the address has an
 * account, and the mail goes out after the answer, so neither the words nor the timing tell. The link
 * carries 32 random bytes; only their SHA-256 is stored. A token works once, for an hour; using it sets
 * the password and ends every login session of the account.
 */
import { createHash, randomBytes } from 'node:crypto';
import { recordSendResult } from '../mail/last-send.js';
import type { SmtpSettings } from '../mail/settings.js';
import { sendMail } from '../mail/transport.js';
import type { PostgresConnection, PostgresQueryable } from '../storage/postgres/index.js';
import { hashPassword } from './password.js';
import { findUserByEmail, validateNewPassword } from './users.js';

export const RESET_TOKEN_TTL_MINUTES = 60;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** What the login page says after a request, for every address. */
export const RESET_REQUESTED_MESSAGE =
  'If an account exists for that address, we have sent it a link to reset the password. The link works for one hour.';

export function hashResetToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function passwordResetUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/password-reset/${token}`;
}

/** Stores a new token for the user (replacing unused older ones) and returns it. */
export async function createResetToken(db: PostgresQueryable, userId: number): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db.query('DELETE FROM password_reset_tokens WHERE user_id = $1 AND used_at IS NULL', [userId]);
  await db.query(
    `INSERT INTO password_reset_tokens (user_id, token_hash, expires_at)
     VALUES ($1, $2, now() + make_interval(mins => ${RESET_TOKEN_TTL_MINUTES}))`,
    [userId, hashResetToken(token)],
  );
  return token;
}

export interface PasswordResetRequest {
  message: string;
  /** Settles when the mail was sent or failed (already logged and recorded); the answer never waits for it. */
  delivery: Promise<void>;
}

/**
 * Starts a reset for an address. Same message for every address; for a known one a token is stored and
 * the mail is sent in the background. Send failures are recorded (health's mail check) and passed to
 * `onError`, never shown to the requester.
 */
export async function requestPasswordReset(
  db: PostgresQueryable,
  input: { email: string; baseUrl: string; smtp: SmtpSettings; onError?: (error: unknown) => void },
): Promise<PasswordResetRequest> {
  const user = input.email.trim() ? await findUserByEmail(db, input.email.trim()) : undefined;
  if (!user) return { message: RESET_REQUESTED_MESSAGE, delivery: Promise.resolve() };
  const token = await createResetToken(db, user.id);
  const link = passwordResetUrl(input.baseUrl, token);
  const delivery = (async () => {
    try {
      await sendMail(input.smtp, {
        to: user.email,
        subject: 'Reset your analytics password',
        text:
          `Hello ${user.name || user.email},\n\nsomeone (hopefully you) asked to reset the password of your analytics account ` +
          `${user.email}. Choose a new one here:\n\n${link}\n\nThe link works once, for ${RESET_TOKEN_TTL_MINUTES} minutes. ` +
          'If you did not ask for it, ignore this mail: your password stays as it is.\n',
      });
      await recordSendResult(db, { ok: true, kind: 'password-reset', detail: 'password reset link' });
    } catch (error) {
      await recordSendResult(db, {
        ok: false,
        kind: 'password-reset',
        detail: 'password reset link',
        error: error instanceof Error ? error.message : String(error),
      }).catch(() => undefined);
      input.onError?.(error);
    }
  })();
  return { message: RESET_REQUESTED_MESSAGE, delivery };
}

/** The account a token resets, when the token is known, unused and not expired. */
export async function findResetToken(db: PostgresQueryable, token: string): Promise<{ userId: number; email: string } | undefined> {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  const rows = await db.query<{ user_id: string; email: string }>(
    `SELECT t.user_id, u.email FROM password_reset_tokens t JOIN users u ON u.id = t.user_id
     WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.expires_at > now()`,
    [hashResetToken(token)],
  );
  return rows[0] ? { userId: Number(rows[0].user_id), email: rows[0].email } : undefined;
}

export type ResetOutcome = { ok: true; userId: number; email: string; endedSessions: number } | { ok: false; reason: 'invalid-token' };

/**
 * Sets the new password if the token is valid, in one transaction: the token is spent (so a second use,
 * even concurrent, fails), the hash replaced, every session and other token of the account deleted.
 * A too-short password throws (UserError) before the token is spent.
 */
export async function resetPassword(db: PostgresConnection, token: string, newPassword: string): Promise<ResetOutcome> {
  validateNewPassword(newPassword);
  if (!TOKEN_PATTERN.test(token)) return { ok: false, reason: 'invalid-token' };
  const passwordHash = await hashPassword(newPassword);
  return db.transaction(async (tx) => {
    const spent = await tx.query<{ user_id: string }>(
      `UPDATE password_reset_tokens SET used_at = now()
       WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id`,
      [hashResetToken(token)],
    );
    const userId = spent[0] ? Number(spent[0].user_id) : undefined;
    if (userId === undefined) return { ok: false as const, reason: 'invalid-token' as const };
    const [user] = await tx.query<{ email: string }>(
      'UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1 RETURNING email',
      [userId, passwordHash],
    );
    const sessions = await tx.query('DELETE FROM user_sessions WHERE user_id = $1 RETURNING id', [userId]);
    await tx.query('DELETE FROM password_reset_tokens WHERE user_id = $1 AND used_at IS NULL', [userId]);
    return { ok: true as const, userId, email: user?.email ?? '', endedSessions: sessions.length };
  });
}
