import { Flags } from '@oclif/core';
import { runAdminOperation } from '../../lib/admin/dispatch.js';
import type { AdminResult } from '../../lib/admin/operations.js';
import { BaseCommand } from '../../lib/cli/base-command.js';

export type UsersAddResult = AdminResult<'users.add'>;

export default class UsersAdd extends BaseCommand<typeof UsersAdd> {
  static override summary = 'Create a user account.';
  static override description =
    'Without --password a strong one is generated and printed once; passwords are stored only as scrypt hashes. ' +
    'An email that already has an account (in any letter case) is refused and nothing changes.';
  static override examples = [
    '<%= config.bin %> users add --email ada@example.com --name "Ada Lovelace"',
    '<%= config.bin %> users add --email ops@example.com --name Ops --admin --json',
  ];
  static override flags = {
    email: Flags.string({ description: 'Email address, used to log in.', required: true }),
    name: Flags.string({ description: 'Display name.', required: true }),
    password: Flags.string({ description: 'Password (at least 8 characters; default: generated and printed once).' }),
    admin: Flags.boolean({ description: 'Make the user an administrator.' }),
  };

  async run(): Promise<UsersAddResult> {
    const { email, name, password, admin } = this.flags;
    const result = await runAdminOperation(this.loadConfig(), 'users.add', { email, name, password, isAdmin: admin });
    this.log(`Created ${result.user.isAdmin ? 'admin' : 'user'} ${result.user.email} (id ${result.user.id}).`);
    if (result.generatedPassword) this.log(`Password (shown once): ${result.generatedPassword}`);
    return result;
  }
}
