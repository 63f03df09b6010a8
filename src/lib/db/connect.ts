import type { AppConfig } from '../config/schema.js';
import { DataDirLockedError } from '../storage/errors.js';
import { openStores, type OpenedStores } from '../storage/open.js';

export type StoreChoice = 'postgres' | 'clickhouse' | 'all';

export function storeOptions(config: AppConfig) {
  return {
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    databasePoolSize: config.databasePoolSize,
    databaseTls: config.databaseTlsEnabled,
    clickhouseUrl: config.clickhouseUrl,
  };
}

/**
 * Opens the configured stores for the length of `fn`. An embedded DATA_DIR held by another process
 * is waited for up to `lockWaitMs` (two `db migrate` runs queue instead of failing), then reported.
 */
export async function withStores<T>(
  config: AppConfig,
  fn: (stores: OpenedStores) => Promise<T>,
  options: { lockWaitMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.lockWaitMs ?? 0);
  let stores: OpenedStores;
  for (;;) {
    try {
      stores = await openStores(storeOptions(config));
      break;
    } catch (error) {
      if (!(error instanceof DataDirLockedError) || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await fn(stores);
  } finally {
    await stores.close();
  }
}

export const includes = (choice: StoreChoice, store: 'postgres' | 'clickhouse') => choice === 'all' || choice === store;
