import { Flags } from '@oclif/core';
import { runAdminOperation } from '../../lib/admin/dispatch.js';
import type { AdminResult } from '../../lib/admin/operations.js';
import { BaseCommand } from '../../lib/cli/base-command.js';

export type ApiKeysCreateResult = AdminResult<'api-keys.create'>;

export default class ApiKeysCreate extends BaseCommand<typeof ApiKeysCreate> {
  static override summary = 'Create a Stats API key.';
  static override description =
    'The key is printed once: only its SHA-256 hash and its first characters (the prefix shown by `api-keys list`) ' +
    'are stored. It belongs to --user, by default the first admin, and sees what that user sees.';
  static override examples = [
    '<%= config.bin %> api-keys create --name grafana',
    '<%= config.bin %> api-keys create --name reporting --user ada@example.com --json',
  ];
  static override flags = {
    name: Flags.string({ description: 'What the key is for, shown in lists.', required: true }),
    user: Flags.string({ description: 'Email of the owner (default: the first admin).' }),
  };

  async run(): Promise<ApiKeysCreateResult> {
    const result = await runAdminOperation(this.loadConfig(), 'api-keys.create', {
      name: this.flags.name,
      userEmail: this.flags.user,
    });
    const { apiKey } = result;
    this.log(`Created API key "${apiKey.name}" (id ${apiKey.id}, prefix ${apiKey.prefix}) for ${apiKey.userEmail}:`);
    this.log(`  ${result.key}`);
    this.log('Store it now: it cannot be shown again. Send it as "Authorization: Bearer <key>".');
    return result;
  }
}
