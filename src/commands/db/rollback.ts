import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { storeFlag } from '../../lib/cli/flags.js';
import { confirmDestructive } from '../../lib/cli/confirm.js';
import { withStores, type StoreChoice } from '../../lib/db/connect.js';
import { rollbackStores, type DbMigrateResult } from '../../lib/db/migrations.js';
import { describeRun } from '../../lib/db/report.js';
import { withProgress } from '../../lib/ui/progress.js';

export default class DbRollback extends BaseCommand<typeof DbRollback> {
  static override summary = 'Revert the last N migrations of each store.';
  static override description =
    'Refuses, before changing anything, when one of the migrations to revert is irreversible. Asks for confirmation ' +
    'on a terminal; without one it needs --force. Never reads the number of steps from stdin.';
  static override examples = [
    '<%= config.bin %> db rollback --steps 1 --store postgres',
    '<%= config.bin %> db rollback --steps 2 --dry-run',
    '<%= config.bin %> db rollback --steps 1 --force --json',
  ];
  static override flags = {
    store: storeFlag,
    steps: Flags.integer({ description: 'How many migrations to revert in each store.', default: 1, min: 1 }),
    force: Flags.boolean({ description: 'Do not ask for confirmation.' }),
    'dry-run': Flags.boolean({ description: 'Print the SQL that would run; change nothing.' }),
  };

  async run(): Promise<DbMigrateResult> {
    const { flags } = this;
    const config = this.loadConfig();
    if (!flags['dry-run']) {
      await confirmDestructive({
        what: `Revert the last ${flags.steps} migration(s) of ${flags.store === 'all' ? 'PostgreSQL and ClickHouse' : flags.store}? Data in dropped tables is lost.`,
        force: flags.force,
        canPrompt: this.canPrompt,
        flagHint: '--force',
      });
    }
    const options = { store: flags.store as StoreChoice, steps: flags.steps, dryRun: flags['dry-run'] };
    const result = await withProgress('Rolling back', { quiet: this.jsonEnabled() }, (report) =>
      withStores(config, (stores) =>
        rollbackStores(stores, { ...options, onStep: ({ store, step }) => report(`${store}: ${step.version} ${step.name}`) }),
      ),
    );
    this.log(describeRun(result));
    return result;
  }
}
