import { UserError } from '../cli/errors.js';
import type { PostgresQueryable } from '../storage/postgres/index.js';
import { MIN_PASSWORD_LENGTH, hashPassword } from './password.js';

export interface User {
  id: number;
  email: string;
  name: string;
  isAdmin: boolean;
  createdAt: string;
}

interface UserRow {
  id: string | number;
  email: string;
  name: string;
  is_admin: boolean;
  created_at: Date | string;
}

const toUser = (r: UserRow): User => ({
  id: Number(r.id),
  email: r.email,
  name: r.name,
  isAdmin: r.is_admin,
  createdAt: new Date(r.created_at).toISOString(),
});

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function validateNewPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new UserError(`The password is too short: use at least ${MIN_PASSWORD_LENGTH} characters`, {
      code: 'WEAK_PASSWORD',
      actions: ['leave the password out and one is generated for you'],
    });
  }
}

export async function findUserByEmail(db: PostgresQueryable, email: string): Promise<User | undefined> {
  const rows = await db.query<UserRow>(
    'SELECT id, email, name, is_admin, created_at FROM users WHERE lower(email) = lower($1)',
    [email],
  );
  return rows[0] ? toUser(rows[0]) : undefined;
}

export async function createUser(
  db: PostgresQueryable,
  input: { email: string; name: string; password: string; isAdmin: boolean },
): Promise<User> {
  const email = input.email.trim();
  if (!EMAIL.test(email)) {
    throw new UserError(`"${email}" is not an email address`, { code: 'INVALID_EMAIL' });
  }
  validateNewPassword(input.password);
  if (await findUserByEmail(db, email)) {
    throw new UserError(`A user with the email ${email} already exists; nothing was changed`, {
      code: 'DUPLICATE_EMAIL',
      actions: [`analytics users password ${email}   (to set a new password instead)`],
    });
  }
  const rows = await db.query<UserRow>(
    `INSERT INTO users (email, name, password_hash, is_admin, email_verified)
     VALUES ($1, $2, $3, $4, true)
     RETURNING id, email, name, is_admin, created_at`,
    [email, input.name.trim(), await hashPassword(input.password), input.isAdmin],
  );
  return toUser(rows[0] as UserRow);
}

export async function listUsers(db: PostgresQueryable): Promise<User[]> {
  const rows = await db.query<UserRow>('SELECT id, email, name, is_admin, created_at FROM users ORDER BY id');
  return rows.map(toUser);
}

export async function setUserPassword(db: PostgresQueryable, email: string, password: string): Promise<User> {
  validateNewPassword(password);
  const rows = await db.query<UserRow>(
    `UPDATE users SET password_hash = $2, updated_at = now() WHERE lower(email) = lower($1)
     RETURNING id, email, name, is_admin, created_at`,
    [email, await hashPassword(password)],
  );
  if (!rows[0]) {
    throw new UserError(`No user has the email ${email}`, { code: 'UNKNOWN_USER', actions: ['analytics users list'] });
  }
  // A new password ends every login session of the account.
  await db.query('DELETE FROM user_sessions WHERE user_id = $1', [rows[0].id]);
  return toUser(rows[0]);
}

/** The oldest admin account: the owner of things created without naming a user (e.g. `api-keys create`). */
export async function findFirstAdmin(db: PostgresQueryable): Promise<User | undefined> {
  const rows = await db.query<UserRow>(
    'SELECT id, email, name, is_admin, created_at FROM users WHERE is_admin ORDER BY id LIMIT 1',
  );
  return rows[0] ? toUser(rows[0]) : undefined;
}

export async function requireUserByEmail(db: PostgresQueryable, email: string): Promise<User> {
  const user = await findUserByEmail(db, email.trim());
  if (!user) {
    throw new UserError(`No user has the email ${email}`, { code: 'UNKNOWN_USER', actions: ['analytics users list'] });
  }
  return user;
}
