/**
 * Embedded stores in temp dirs for tests. Both are slow to create (PGlite initdb takes seconds),
 * and chDB allows one data directory per process: open them once per test file in `beforeAll`
 * and call `cleanup()` in `afterAll`.
 */
import { join } from 'node:path';
import { openChdbStore, type ClickHouseStore } from '../../src/lib/storage/clickhouse/index.js';
import { openPgliteStore, type PostgresStore } from '../../src/lib/storage/postgres/index.js';
import { makeTempDir } from './temp-dir.js';

export interface EmbeddedPostgres {
  store: PostgresStore;
  dir: string;
  /** Closes the store and deletes its directory. */
  cleanup(): Promise<void>;
}

export interface EmbeddedClickHouse {
  store: ClickHouseStore;
  dir: string;
  /** Closes the session and deletes its directory; another chDB directory can be opened afterwards. */
  cleanup(): Promise<void>;
}

export async function openTempPglite(): Promise<EmbeddedPostgres> {
  const temp = await makeTempDir('analytics-pglite-');
  const dir = join(temp.path, 'pg');
  const store = await openPgliteStore(dir);
  return {
    store,
    dir,
    async cleanup() {
      await store.close();
      await temp.remove();
    },
  };
}

export async function openTempChdb(options: { database?: string } = {}): Promise<EmbeddedClickHouse> {
  const temp = await makeTempDir('analytics-chdb-');
  const dir = join(temp.path, 'ch');
  const store = await openChdbStore({ path: dir, database: options.database ?? 'analytics' });
  return {
    store,
    dir,
    async cleanup() {
      await store.close();
      await temp.remove();
    },
  };
}
