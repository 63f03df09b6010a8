import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { runAdminOperation } from '../../lib/admin/dispatch.js';
import { resolveAdminInput, type InitAdminResult } from '../../lib/db/admin.js';

export default class DbInitAdmin extends BaseCommand<typeof DbInitAdmin> {
  static override summary = 'Create the first admin account.';
  static override description =
    'Takes --email, --name and --password, or ADMIN_USER_EMAIL / ADMIN_USER_NAME / ADMIN_USER_PWD. Without a ' +
    'password a strong one is generated and printed once (it is stored only as a scrypt hash). An email that ' +
    'already has an account is refused and nothing changes.';
  static override examples = [
    '<%= config.bin %> db init-admin --email admin@example.com',
    'ADMIN_USER_EMAIL=admin@example.com ADMIN_USER_PWD=... <%= config.bin %> db init-admin --json',
  ];
  static override flags = {
    email: Flags.string({ description: 'Email (default: ADMIN_USER_EMAIL).' }),
    name: Flags.string({ description: 'Name (default: ADMIN_USER_NAME or "Admin").' }),
    password: Flags.string({ description: 'Password (default: ADMIN_USER_PWD, else generated).' }),
  };

  async run(): Promise<InitAdminResult> {
    const config = this.loadConfig();
    // Through the running server's admin socket when it owns the embedded stores.
    const result = await runAdminOperation(config, 'users.add', { ...resolveAdminInput(config, { email: this.flags.email, name: this.flags.name, password: this.flags.password }), isAdmin: true });
    this.log(`Created admin ${result.user.email} (id ${result.user.id}).`);
    if (result.generatedPassword) this.log(`Password (shown once): ${result.generatedPassword}`);
    return result;
  }
}
