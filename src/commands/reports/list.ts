import { Flags } from '@oclif/core';
import { runAdminOperation } from '../../lib/admin/dispatch.js';
import type { AdminResult } from '../../lib/admin/operations.js';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { renderTable } from '../../lib/ui/table.js';

export type ReportsListResult = AdminResult<'reports.list'>;

export default class ReportsList extends BaseCommand<typeof ReportsList> {
  static override summary = 'List email report subscriptions.';
  static override examples = ['<%= config.bin %> reports list', '<%= config.bin %> reports list --site example.com --json'];
  static override flags = {
    site: Flags.string({ description: 'Only this site.' }),
  };

  async run(): Promise<ReportsListResult> {
    const result = await runAdminOperation(this.loadConfig(), 'reports.list', this.flags.site ? { domain: this.flags.site } : {});
    if (result.subscriptions.length === 0) {
      this.log('No report subscriptions. Add one with: analytics reports subscribe --site example.com --email you@example.com');
      return result;
    }
    this.log(
      renderTable(
        ['SITE', 'PERIOD', 'EMAIL', 'SINCE'],
        result.subscriptions.map((s) => [s.domain, s.period, s.email, s.createdAt.slice(0, 10)]),
      ),
    );
    return result;
  }
}
