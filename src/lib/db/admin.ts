import type { AppConfig } from '../config/schema.js';
import { UsageError } from '../cli/errors.js';
import type { User } from '../accounts/users.js';

export interface InitAdminResult {
  user: User;
  /** Only when generated: shown once, never stored in clear. */
  generatedPassword?: string;
}

/** The first admin's details from flags or ADMIN_USER_*; without a password one is generated later. */
export function resolveAdminInput(
  config: AppConfig,
  input: { email?: string; name?: string; password?: string },
): { email: string; name: string; password?: string } {
  const email = input.email ?? config.admin.email;
  if (!email) {
    throw new UsageError('No admin email: pass --email or set ADMIN_USER_EMAIL', {
      code: 'MISSING_EMAIL',
      actions: ['analytics db init-admin --email you@example.com'],
    });
  }
  const password = input.password ?? config.admin.password;
  return { email, name: input.name ?? config.admin.name ?? 'Admin', ...(password ? { password } : {}) };
}
