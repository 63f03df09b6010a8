import { runAdminOperation } from '../../lib/admin/dispatch.js';
import type { AdminResult } from '../../lib/admin/operations.js';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { renderTable } from '../../lib/ui/table.js';

export type SitesListResult = AdminResult<'sites.list'>;

export default class SitesList extends BaseCommand<typeof SitesList> {
  static override summary = 'List the sites.';
  static override examples = ['<%= config.bin %> sites list', '<%= config.bin %> sites list --json'];

  async run(): Promise<SitesListResult> {
    const result = await runAdminOperation(this.loadConfig(), 'sites.list', {});
    if (result.sites.length === 0) {
      this.log('No sites yet. Add one with: analytics sites add example.com');
      return result;
    }
    this.log(
      renderTable(
        ['ID', 'DOMAIN', 'TIMEZONE', 'CREATED'],
        result.sites.map((s) => [s.id, s.domain, s.timezone, s.createdAt.slice(0, 10)]),
      ),
    );
    return result;
  }
}
