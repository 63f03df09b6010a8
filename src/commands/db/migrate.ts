import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { storeFlag } from '../../lib/cli/flags.js';
import { withStores, type StoreChoice } from '../../lib/db/connect.js';
import { migrateStores, type DbMigrateResult } from '../../lib/db/migrations.js';
import { describeRun } from '../../lib/db/report.js';
import { withProgress } from '../../lib/ui/progress.js';

export default class DbMigrate extends BaseCommand<typeof DbMigrate> {
  static override summary = 'Apply pending migrations to PostgreSQL and ClickHouse.';
  static override description =
    'Each Postgres migration runs in its own transaction under an advisory lock; ClickHouse migrations run under a ' +
    'lock table. A second run started meanwhile waits, then finds nothing to do. Never asks anything: safe for CI.';
  static override examples = [
    '<%= config.bin %> db migrate',
    '<%= config.bin %> db migrate --dry-run',
    '<%= config.bin %> db migrate --store clickhouse --to 2',
    '<%= config.bin %> db migrate --json',
  ];
  static override flags = {
    store: storeFlag,
    to: Flags.integer({ description: 'Stop after this version (needs --store postgres or clickhouse).', min: 1 }),
    'dry-run': Flags.boolean({ description: 'Print the SQL that would run; change nothing.' }),
    'break-lock': Flags.boolean({ description: 'Remove a ClickHouse migration lock left by a crashed run.' }),
    'lock-timeout': Flags.integer({ description: 'Seconds to wait for another migration run.', default: 120, min: 0 }),
  };

  async run(): Promise<DbMigrateResult> {
    const { flags } = this;
    const config = this.loadConfig();
    const lockWaitMs = flags['lock-timeout'] * 1000;
    const result = await withProgress('Migrating', { quiet: this.jsonEnabled() }, (report) =>
      withStores(
        config,
        (stores) =>
          migrateStores(stores, {
            store: flags.store as StoreChoice,
            to: flags.to,
            dryRun: flags['dry-run'],
            breakLock: flags['break-lock'],
            lockTimeoutMs: lockWaitMs,
            onStep: ({ store, step }) => report(`${store}: ${step.version} ${step.name}`),
          }),
        { lockWaitMs },
      ),
    );
    this.log(describeRun(result));
    for (const e of result.edited) {
      this.logToStderr(`warning: ${e.store} migration ${e.version} ${e.name} was edited after it was applied`);
    }
    return result;
  }
}
