import { Args, Flags } from '@oclif/core';
import { runAdminOperation } from '../../lib/admin/dispatch.js';
import type { AdminResult } from '../../lib/admin/operations.js';
import { BaseCommand } from '../../lib/cli/base-command.js';

export type GoalsRemoveResult = AdminResult<'goals.remove'>;

export default class GoalsRemove extends BaseCommand<typeof GoalsRemove> {
  static override summary = 'Remove a goal (the recorded events stay).';
  static override description =
    'Name the goal by its id (goals list), its event name, its path, or its name as the API shows it ' +
    '("Visit /thank-you"). Only the definition goes: the events stay, and adding the goal again shows them again.';
  static override examples = [
    '<%= config.bin %> goals remove --site example.com Signup',
    '<%= config.bin %> goals remove --site example.com /thank-you --json',
    '<%= config.bin %> goals remove --site example.com 4',
  ];
  static override args = {
    goal: Args.string({ description: 'Id, event name, path or display name of the goal.', required: true }),
  };
  static override flags = {
    site: Flags.string({ description: 'Domain of the site.', required: true }),
  };

  async run(): Promise<GoalsRemoveResult> {
    const result = await runAdminOperation(this.loadConfig(), 'goals.remove', { domain: this.flags.site, goal: this.args.goal });
    this.log(`Removed the goal "${result.goal.displayName}" from ${result.goal.domain}.`);
    return result;
  }
}
