import { Args, Flags } from '@oclif/core';
import { runAdminOperation } from '../../lib/admin/dispatch.js';
import type { AdminResult } from '../../lib/admin/operations.js';
import { BaseCommand } from '../../lib/cli/base-command.js';

export type UsersPasswordResult = AdminResult<'users.password'>;

export default class UsersPassword extends BaseCommand<typeof UsersPassword> {
  static override summary = "Set a user's password.";
  static override description =
    'Without --password a strong one is generated and printed once. The user is logged out everywhere.';
  static override examples = [
    '<%= config.bin %> users password ada@example.com',
    '<%= config.bin %> users password ada@example.com --password "correct horse battery staple"',
  ];
  static override args = {
    email: Args.string({ description: 'Email of the account.', required: true }),
  };
  static override flags = {
    password: Flags.string({ description: 'New password (at least 8 characters; default: generated and printed once).' }),
  };

  async run(): Promise<UsersPasswordResult> {
    const result = await runAdminOperation(this.loadConfig(), 'users.password', {
      email: this.args.email,
      password: this.flags.password,
    });
    this.log(`Set a new password for ${result.user.email}; their sessions were ended.`);
    if (result.generatedPassword) this.log(`Password (shown once): ${result.generatedPassword}`);
    return result;
  }
}
