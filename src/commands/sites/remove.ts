import { Args, Flags } from '@oclif/core';
import { runAdminOperation } from '../../lib/admin/dispatch.js';
import type { AdminResult } from '../../lib/admin/operations.js';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { confirmDestructive } from '../../lib/cli/confirm.js';

export type SitesRemoveResult = AdminResult<'sites.remove'>;

export default class SitesRemove extends BaseCommand<typeof SitesRemove> {
  static override summary = 'Remove a site and all its events and sessions.';
  static override description =
    'Deletes the site, its goals and memberships, and every event and session recorded for it in ClickHouse. ' +
    'This cannot be undone (take a backup first). Asks for confirmation on a terminal; pass --force otherwise.';
  static override examples = [
    '<%= config.bin %> sites remove example.com',
    '<%= config.bin %> sites remove example.com --force --json',
  ];
  static override args = {
    domain: Args.string({ description: 'Domain of the site to remove.', required: true }),
  };
  static override flags = {
    force: Flags.boolean({ char: 'f', description: 'Do not ask for confirmation.' }),
  };

  async run(): Promise<SitesRemoveResult> {
    const config = this.loadConfig();
    await confirmDestructive({
      what: `Remove the site ${this.args.domain} and delete all its events and sessions?`,
      force: this.flags.force,
      canPrompt: this.canPrompt,
      flagHint: '--force',
    });
    const result = await runAdminOperation(config, 'sites.remove', { domain: this.args.domain });
    this.log(
      `Removed ${result.site.domain}: ${result.deletedEvents} events and ${result.deletedSessions} session rows deleted.`,
    );
    return result;
  }
}
