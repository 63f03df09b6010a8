import { Flags } from '@oclif/core';
import { runAdminOperation } from '../../lib/admin/dispatch.js';
import type { AdminResult } from '../../lib/admin/operations.js';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { renderTable } from '../../lib/ui/table.js';

export type GoalsListResult = AdminResult<'goals.list'>;

export default class GoalsList extends BaseCommand<typeof GoalsList> {
  static override summary = "List a site's goals.";
  static override examples = [
    '<%= config.bin %> goals list --site example.com',
    '<%= config.bin %> goals list --site example.com --json',
  ];
  static override flags = {
    site: Flags.string({ description: 'Domain of the site.', required: true }),
  };

  async run(): Promise<GoalsListResult> {
    const result = await runAdminOperation(this.loadConfig(), 'goals.list', { domain: this.flags.site });
    if (result.goals.length === 0) {
      this.log(`${this.flags.site} has no goals yet. Add one with: analytics goals add --site ${this.flags.site} --event Signup`);
      return result;
    }
    this.log(
      renderTable(
        ['ID', 'GOAL', 'TYPE', 'MATCHES', 'CREATED'],
        result.goals.map((g) => [
          g.id,
          g.displayName,
          g.eventName !== null ? 'event' : 'page',
          g.eventName ?? g.pagePath ?? '',
          g.createdAt.slice(0, 10),
        ]),
      ),
    );
    return result;
  }
}
