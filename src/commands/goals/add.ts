import { Flags } from '@oclif/core';
import { runAdminOperation } from '../../lib/admin/dispatch.js';
import type { AdminResult } from '../../lib/admin/operations.js';
import { BaseCommand } from '../../lib/cli/base-command.js';

export type GoalsAddResult = AdminResult<'goals.add'>;

export default class GoalsAdd extends BaseCommand<typeof GoalsAdd> {
  static override summary = 'Add a goal: a custom event or a page whose visitors count as conversions.';
  static override description =
    'An event goal counts the custom events of that name (window.analytics("Signup")); a page goal counts ' +
    'pageviews of a path, where * matches within one path segment and ** across segments. The Stats API and ' +
    'the dashboard then show the goal (event:goal, named "Signup" or "Visit /path") and its conversion rate. ' +
    'Works while the server runs: it goes through the admin socket.';
  static override examples = [
    '<%= config.bin %> goals add --site example.com --event Signup',
    '<%= config.bin %> goals add --site example.com --page /thank-you',
    '<%= config.bin %> goals add --site example.com --page "/docs/**" --json',
  ];
  static override flags = {
    site: Flags.string({ description: 'Domain of the site.', required: true }),
    event: Flags.string({ description: 'Name of the custom event.', exactlyOne: ['event', 'page'] }),
    page: Flags.string({ description: 'Path of the page (globs * and ** allowed).', exactlyOne: ['event', 'page'] }),
  };

  async run(): Promise<GoalsAddResult> {
    const { site, event, page } = this.flags;
    const input = event !== undefined ? { domain: site, event } : { domain: site, page: page as string };
    const result = await runAdminOperation(this.loadConfig(), 'goals.add', input);
    this.log(`Added the goal "${result.goal.displayName}" to ${result.goal.domain} (id ${result.goal.id}).`);
    return result;
  }
}
