import { runAdminOperation } from '../../lib/admin/dispatch.js';
import type { AdminResult } from '../../lib/admin/operations.js';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { renderTable } from '../../lib/ui/table.js';

export type ApiKeysListResult = AdminResult<'api-keys.list'>;

const day = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '');

export default class ApiKeysList extends BaseCommand<typeof ApiKeysList> {
  static override summary = 'List the API keys (never the keys themselves).';
  static override examples = ['<%= config.bin %> api-keys list', '<%= config.bin %> api-keys list --json'];

  async run(): Promise<ApiKeysListResult> {
    const result = await runAdminOperation(this.loadConfig(), 'api-keys.list', {});
    if (result.apiKeys.length === 0) {
      this.log('No API keys. Create one with: analytics api-keys create --name NAME');
      return result;
    }
    this.log(
      renderTable(
        ['ID', 'PREFIX', 'NAME', 'USER', 'CREATED', 'LAST USED', 'STATUS'],
        result.apiKeys.map((k) => [
          k.id,
          k.prefix,
          k.name,
          k.userEmail,
          day(k.createdAt),
          day(k.lastUsedAt) || 'never',
          k.revokedAt ? `revoked ${day(k.revokedAt)}` : 'active',
        ]),
      ),
    );
    return result;
  }
}
