import { openChdbStoreReportingCreation } from './chdb-store.js';
import { openHttpClickHouseStore } from './http-store.js';
import { assertDatabaseName } from './identifiers.js';
import type { ClickHouseStore, CreateClickHouseDatabaseResult } from './types.js';
import { DEFAULT_CLICKHOUSE_DATABASE, parseClickHouseUrl } from './url.js';

export type ClickHouseDatabaseTarget =
  | { url: string; user?: string; password?: string }
  | { path: string; database?: string };

/** `CREATE DATABASE IF NOT EXISTS` for the configured database, saying whether it was created. */
export async function createClickHouseDatabase(target: ClickHouseDatabaseTarget): Promise<CreateClickHouseDatabaseResult> {
  if ('url' in target) {
    const { database } = parseClickHouseUrl(target.url, target);
    // The target database may not exist yet, so connect to `default` to create it.
    const store = await openHttpClickHouseStore({ ...target, databaseOverride: 'default' });
    try {
      return await createIn(store, database);
    } finally {
      await store.close();
    }
  }
  const { store, databaseCreated } = await openChdbStoreReportingCreation({
    path: target.path,
    database: target.database ?? DEFAULT_CLICKHOUSE_DATABASE,
  });
  await store.close();
  return { created: databaseCreated, name: store.database };
}

async function createIn(store: ClickHouseStore, database: string): Promise<CreateClickHouseDatabaseResult> {
  const existing = await store.query<{ n: string }>('SELECT count() AS n FROM system.databases WHERE name = {name:String}', {
    name: database,
  });
  if (Number(existing[0]?.n ?? 0) > 0) return { created: false, name: database };
  await store.command(`CREATE DATABASE IF NOT EXISTS \`${assertDatabaseName(database)}\``);
  return { created: true, name: database };
}
