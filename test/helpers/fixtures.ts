import { loadMigrations, MIGRATIONS_ROOT } from '../../src/lib/migrate/files.js';
import { clickhouseLedger } from '../../src/lib/migrate/clickhouse-ledger.js';
import { postgresLedger } from '../../src/lib/migrate/postgres-ledger.js';
import { migrateUp } from '../../src/lib/migrate/runner.js';
import { createSite } from '../../src/lib/sites/sites.js';
import { openStores, type OpenedStores } from '../../src/lib/storage/open.js';
import path from 'node:path';

/** Opens the embedded stores of a data dir in this process for the length of fn (then releases the lock). */
export async function withDataDir<T>(dataDir: string, fn: (stores: OpenedStores) => Promise<T>): Promise<T> {
  const stores = await openStores({ dataDir });
  try {
    return await fn(stores);
  } finally {
    await stores.close();
  }
}

/** A migrated embedded data dir with the given sites; returns their ids by domain. */
export async function prepareDataDir(dataDir: string, domains: string[]): Promise<Record<string, number>> {
  return withDataDir(dataDir, async (stores) => {
    await migrateUp(postgresLedger(stores.postgres), loadMigrations(path.join(MIGRATIONS_ROOT, 'postgres')));
    await migrateUp(clickhouseLedger(stores.clickhouse), loadMigrations(path.join(MIGRATIONS_ROOT, 'clickhouse')));
    const ids: Record<string, number> = {};
    for (const domain of domains) ids[domain] = (await createSite(stores.postgres, { domain })).id;
    return ids;
  });
}
