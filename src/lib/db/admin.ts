import type { AppConfig } from '../config/schema.js';
import { UsageError } from '../cli/errors.js';
import { generateStrongPassword } from '../accounts/password.js';
import { createUser, type User } from '../accounts/users.js';
import type { OpenedStores } from '../storage/open.js';

export interface InitAdminResult {
  user: User;
  /** Only when generated: shown once, never stored in clear. */
  generatedPassword?: string;
}

/** The first admin from flags or ADMIN_USER_*; a strong password is generated when none is given. */
export async function initAdmin(
  stores: OpenedStores,
  config: AppConfig,
  input: { email?: string; name?: string; password?: string },
): Promise<InitAdminResult> {
  const email = input.email ?? config.admin.email;
  if (!email) {
    throw new UsageError('No admin email: pass --email or set ADMIN_USER_EMAIL', {
      code: 'MISSING_EMAIL',
      actions: ['analytics db init-admin --email you@example.com'],
    });
  }
  const given = input.password ?? config.admin.password;
  const password = given ?? generateStrongPassword();
  const user = await createUser(stores.postgres, {
    email,
    name: input.name ?? config.admin.name ?? 'Admin',
    password,
    isAdmin: true,
  });
  return { user, ...(given ? {} : { generatedPassword: password }) };
}
