import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js';
import {
  describeStores,
  embeddedClickHousePath,
  embeddedPostgresPath,
  storesMode,
  type StoresDescription,
  type StoresMode,
} from './describe.js';
import { openChdbStore } from './clickhouse/chdb-store.js';
import { createClickHouseDatabase } from './clickhouse/create-database.js';
import { openHttpClickHouseStore } from './clickhouse/http-store.js';
import type { ClickHouseStore, CreateClickHouseDatabaseResult } from './clickhouse/types.js';
import { DEFAULT_CLICKHOUSE_DATABASE } from './clickhouse/url.js';
import { createPostgresDatabase } from './postgres/create-database.js';
import { openPgStore } from './postgres/pg-store.js';
import { createPgliteDatabase, openPgliteStore } from './postgres/pglite-store.js';
import type { CreateDatabaseResult, PostgresStore } from './postgres/types.js';

export { describeStores, type StoresDescription, type StoresMode } from './describe.js';

export interface OpenStoresOptions {
  /** DATA_DIR: embedded stores live in DATA_DIR/pg and DATA_DIR/ch, guarded by DATA_DIR/analytics.lock. */
  dataDir: string;
  /** DATABASE_URL; absent → PGlite. */
  databaseUrl?: string | undefined;
  databasePoolSize?: number | undefined;
  databaseTls?: boolean | undefined;
  /** CLICKHOUSE_URL; absent → chDB. */
  clickhouseUrl?: string | undefined;
  clickhouseUser?: string | undefined;
  clickhousePassword?: string | undefined;
}

export interface OpenedStores {
  postgres: PostgresStore;
  clickhouse: ClickHouseStore;
  mode: StoresMode;
  /** Non-secret description of where the stores are. */
  description: StoresDescription;
  /** Closes both stores and releases the data-dir lock; idempotent. */
  close(): Promise<void>;
}

const usesEmbedded = (options: OpenStoresOptions) => !options.databaseUrl || !options.clickhouseUrl;

/**
 * Opens both stores: a server for each configured URL, the embedded store otherwise. Taking the
 * DATA_DIR lock first when anything embedded is opened (DataDirLockedError if another process has it).
 * Server stores are checked on open (StoreUnreachableError: unreachable, bad credentials, no database).
 */
export async function openStores(options: OpenStoresOptions): Promise<OpenedStores> {
  const lock = usesEmbedded(options) ? await acquireDataDirLock(options.dataDir) : undefined;
  const [postgres, clickhouse] = await Promise.allSettled([openPostgres(options), openClickHouse(options)]);
  if (postgres.status === 'rejected' || clickhouse.status === 'rejected') {
    await closeQuietly(postgres.status === 'fulfilled' ? postgres.value : undefined);
    await closeQuietly(clickhouse.status === 'fulfilled' ? clickhouse.value : undefined);
    lock?.release();
    throw postgres.status === 'rejected' ? postgres.reason : (clickhouse as PromiseRejectedResult).reason;
  }
  return assemble(options, postgres.value, clickhouse.value, lock);
}

export interface CreatedDatabases {
  postgres: CreateDatabaseResult & { kind: PostgresStore['kind'] };
  clickhouse: CreateClickHouseDatabaseResult & { kind: ClickHouseStore['kind'] };
}

/** `db createdb`: creates each missing database (server or embedded) and says which already existed. */
export async function createDatabases(options: OpenStoresOptions): Promise<CreatedDatabases> {
  const lock = usesEmbedded(options) ? await acquireDataDirLock(options.dataDir) : undefined;
  try {
    const postgres = options.databaseUrl
      ? { ...(await createPostgresDatabase(options.databaseUrl, { tls: options.databaseTls })), kind: 'postgres' as const }
      : { ...(await createPgliteDatabase(embeddedPostgresPath(options.dataDir))), kind: 'pglite' as const };
    const clickhouse = options.clickhouseUrl
      ? {
          ...(await createClickHouseDatabase({
            url: options.clickhouseUrl,
            user: options.clickhouseUser,
            password: options.clickhousePassword,
          })),
          kind: 'clickhouse' as const,
        }
      : {
          ...(await createClickHouseDatabase({
            path: embeddedClickHousePath(options.dataDir),
            database: DEFAULT_CLICKHOUSE_DATABASE,
          })),
          kind: 'chdb' as const,
        };
    return { postgres, clickhouse };
  } finally {
    lock?.release();
  }
}

function openPostgres(options: OpenStoresOptions): Promise<PostgresStore> {
  if (options.databaseUrl) {
    return openPgStore({ url: options.databaseUrl, poolSize: options.databasePoolSize, tls: options.databaseTls });
  }
  return openPgliteStore(embeddedPostgresPath(options.dataDir));
}

function openClickHouse(options: OpenStoresOptions): Promise<ClickHouseStore> {
  if (options.clickhouseUrl) {
    return openHttpClickHouseStore({
      url: options.clickhouseUrl,
      user: options.clickhouseUser,
      password: options.clickhousePassword,
    });
  }
  return openChdbStore({ path: embeddedClickHousePath(options.dataDir), database: DEFAULT_CLICKHOUSE_DATABASE });
}

function assemble(
  options: OpenStoresOptions,
  postgres: PostgresStore,
  clickhouse: ClickHouseStore,
  lock: DataDirLock | undefined,
): OpenedStores {
  let closing: Promise<void> | undefined;
  return {
    postgres,
    clickhouse,
    mode: storesMode(options),
    description: describeStores(options),
    close() {
      closing ??= (async () => {
        try {
          const results = await Promise.allSettled([postgres.close(), clickhouse.close()]);
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed) throw failed.reason;
        } finally {
          lock?.release();
        }
      })();
      return closing;
    },
  };
}

async function closeQuietly(store: { close(): Promise<void> } | undefined): Promise<void> {
  await store?.close().catch(() => undefined);
}
