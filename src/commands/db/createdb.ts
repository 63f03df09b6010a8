import { BaseCommand } from '../../lib/cli/base-command.js';
import { storeFlag } from '../../lib/cli/flags.js';
import type { StoreChoice } from '../../lib/db/connect.js';
import { createDatabases, type DbCreateResult } from '../../lib/db/createdb.js';

export default class DbCreatedb extends BaseCommand<typeof DbCreatedb> {
  static override summary = 'Create the PostgreSQL and ClickHouse databases if they are missing.';
  static override description =
    'Server mode: CREATE DATABASE on the servers in DATABASE_URL / CLICKHOUSE_URL. Embedded mode: creates PGlite ' +
    'and chDB in DATA_DIR. Idempotent: the result says "created" or "existing" for each store.';
  static override examples = ['<%= config.bin %> db createdb', '<%= config.bin %> db createdb --store postgres --json'];
  static override flags = { store: storeFlag };

  async run(): Promise<DbCreateResult> {
    const result = await createDatabases(this.loadConfig(), this.flags.store as StoreChoice);
    for (const db of result.databases) this.log(`${db.store}: ${db.status} (${db.kind} ${db.name})`);
    return result;
  }
}
