import { Args, Flags } from '@oclif/core';
import { runAdminOperation } from '../../lib/admin/dispatch.js';
import type { AdminResult } from '../../lib/admin/operations.js';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { confirmDestructive } from '../../lib/cli/confirm.js';

export type ApiKeysRevokeResult = AdminResult<'api-keys.revoke'>;

export default class ApiKeysRevoke extends BaseCommand<typeof ApiKeysRevoke> {
  static override summary = 'Revoke an API key: requests with it are refused from now on.';
  static override description =
    'Name the key by its id or its prefix (both in `api-keys list`), or paste the whole key. Revoking cannot be ' +
    'undone; revoking a revoked key changes nothing. Asks for confirmation on a terminal; pass --force otherwise.';
  static override examples = [
    '<%= config.bin %> api-keys revoke 3',
    '<%= config.bin %> api-keys revoke anl_Xy12abCD --force --json',
  ];
  static override args = {
    key: Args.string({ description: 'Id or prefix of the key.', required: true }),
  };
  static override flags = {
    force: Flags.boolean({ char: 'f', description: 'Do not ask for confirmation.' }),
  };

  async run(): Promise<ApiKeysRevokeResult> {
    const config = this.loadConfig();
    await confirmDestructive({
      what: `Revoke the API key ${this.args.key}? Whatever uses it stops working.`,
      force: this.flags.force,
      canPrompt: this.canPrompt,
      flagHint: '--force',
    });
    const result = await runAdminOperation(config, 'api-keys.revoke', { idOrPrefix: this.args.key });
    const { apiKey } = result;
    this.log(
      result.alreadyRevoked
        ? `The key ${apiKey.prefix} ("${apiKey.name}") was already revoked on ${apiKey.revokedAt}; nothing changed.`
        : `Revoked the key ${apiKey.prefix} ("${apiKey.name}", id ${apiKey.id}).`,
    );
    return result;
  }
}
