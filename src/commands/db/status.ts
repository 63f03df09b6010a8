import { BaseCommand } from '../../lib/cli/base-command.js';
import { ExitCode } from '../../lib/cli/errors.js';
import { storeFlag } from '../../lib/cli/flags.js';
import { withStores, type StoreChoice } from '../../lib/db/connect.js';
import { statusOfStores, type DbStatusResult } from '../../lib/db/migrations.js';
import { describeStatus } from '../../lib/db/report.js';

export default class DbStatus extends BaseCommand<typeof DbStatus> {
  static override summary = 'List applied and pending migrations of each store; exit 4 when anything is pending.';
  static override examples = [
    '<%= config.bin %> db status',
    '<%= config.bin %> db status --json',
    '<%= config.bin %> db status >/dev/null || <%= config.bin %> db migrate',
  ];
  static override flags = { store: storeFlag };

  async run(): Promise<DbStatusResult> {
    const result = await withStores(this.loadConfig(), (stores) =>
      statusOfStores(stores, { store: this.flags.store as StoreChoice }),
    );
    if (!result.upToDate) process.exitCode = ExitCode.actionNeeded;
    this.log(describeStatus(result));
    return result;
  }
}
