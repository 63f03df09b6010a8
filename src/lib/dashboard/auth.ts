import { hashPassword, verifyPassword } from '../accounts/password.js';
import type { PostgresQueryable } from '../storage/postgres/index.js';
import type { LoginRateLimiter } from './rate-limit.js';
import { createSession, type CreatedSession } from './sessions.js';

/** One message for an unknown email and a wrong password, so the form does not tell which accounts exist. */
export const INVALID_LOGIN_MESSAGE = 'Wrong email or password.';

export type LoginResult =
  | { status: 'ok'; session: CreatedSession }
  | { status: 'invalid' }
  | { status: 'rate-limited'; retryAfterSeconds: number };

export interface LoginInput {
  email: string;
  password: string;
  /** The client address (after TRUSTED_PROXIES), for the rate limit only. */
  ip: string;
  userAgent?: string;
}

let dummyHash: Promise<string> | undefined;

/**
 * Checks the password against `users` and opens a session. An unknown email costs the same scrypt as a
 * known one (checked against a throwaway hash), so response times do not reveal accounts either.
 */
export async function login(db: PostgresQueryable, limiter: LoginRateLimiter, input: LoginInput): Promise<LoginResult> {
  const email = input.email.trim();
  const decision = await limiter.attempt(input.ip, email);
  if (!decision.allowed) return { status: 'rate-limited', retryAfterSeconds: decision.retryAfterSeconds };
  const [user] = await db.query<{ id: string | number; password_hash: string }>(
    'SELECT id, password_hash FROM users WHERE lower(email) = lower($1)',
    [email],
  );
  dummyHash ??= hashPassword('not a password anyone has');
  const valid = await verifyPassword(input.password, user?.password_hash ?? (await dummyHash));
  if (!user || !valid || email === '' || input.password === '') return { status: 'invalid' };
  await limiter.succeeded(input.ip, email);
  return { status: 'ok', session: await createSession(db, Number(user.id), { userAgent: input.userAgent }) };
}
