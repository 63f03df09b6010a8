/**
 * The stores opened by `analytics health` itself when no server runs. Each store is opened on its own,
 * so a stopped PostgreSQL still lets the ClickHouse checks run; a store that failed to open answers
 * every query with the reason, which its check reports.
 */
import { existsSync } from 'node:fs';
import type { AppConfig } from '../config/schema.js';
import { storeOptions } from '../db/connect.js';
import { openChdbStore, openHttpClickHouseStore, type ClickHouseStore } from '../storage/clickhouse/index.js';
import { acquireDataDirLock, type DataDirLock } from '../storage/data-dir-lock.js';
import { describeStores, embeddedClickHousePath, embeddedPostgresPath, storesMode } from '../storage/describe.js';
import { DEFAULT_CLICKHOUSE_DATABASE } from '../storage/clickhouse/index.js';
import type { OpenedStores } from '../storage/open.js';
import { openPgStore, openPgliteStore, type PostgresStore } from '../storage/postgres/index.js';

function failingStore<T extends object>(kind: string, error: unknown): T {
  const fail = () => Promise.reject(error);
  return { kind, database: '', query: fail, command: fail, exec: fail, insert: fail, transaction: fail, close: () => Promise.resolve() } as unknown as T;
}

export async function openStoresForHealth(config: AppConfig): Promise<OpenedStores> {
  const options = storeOptions(config);
  const embedded = !options.databaseUrl || !options.clickhouseUrl;
  // The lock error (another command holds DATA_DIR) is the answer for every store check.
  const lock: DataDirLock | undefined = embedded ? await acquireDataDirLock(options.dataDir, 'analytics health') : undefined;
  // Opening an embedded store creates it: a check must not leave databases behind in a wrong DATA_DIR.
  const embeddedMissing = (dir: string) =>
    Promise.reject(new Error(`there is no embedded database in ${dir} (run analytics start or analytics db createdb)`));
  const [postgres, clickhouse] = await Promise.allSettled([
    options.databaseUrl
      ? openPgStore({ url: options.databaseUrl, poolSize: 2, tls: options.databaseTls })
      : existsSync(embeddedPostgresPath(options.dataDir))
        ? openPgliteStore(embeddedPostgresPath(options.dataDir))
        : embeddedMissing(embeddedPostgresPath(options.dataDir)),
    options.clickhouseUrl
      ? openHttpClickHouseStore({ url: options.clickhouseUrl })
      : existsSync(embeddedClickHousePath(options.dataDir))
        ? openChdbStore({ path: embeddedClickHousePath(options.dataDir), database: DEFAULT_CLICKHOUSE_DATABASE })
        : embeddedMissing(embeddedClickHousePath(options.dataDir)),
  ]);
  const pg = postgres.status === 'fulfilled' ? postgres.value : failingStore<PostgresStore>(options.databaseUrl ? 'postgres' : 'pglite', postgres.reason);
  const ch = clickhouse.status === 'fulfilled' ? clickhouse.value : failingStore<ClickHouseStore>(options.clickhouseUrl ? 'clickhouse' : 'chdb', clickhouse.reason);
  let closing: Promise<void> | undefined;
  return {
    postgres: pg,
    clickhouse: ch,
    mode: storesMode(options),
    description: describeStores(options),
    close() {
      closing ??= Promise.allSettled([pg.close(), ch.close()]).then(() => lock?.release());
      return closing;
    },
  };
}
