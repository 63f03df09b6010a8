import { existsSync } from 'node:fs';
import path from 'node:path';
import type { AppConfig } from '../config/schema.js';
import { createClickHouseDatabase } from '../storage/clickhouse/index.js';
import { createPostgresDatabase } from '../storage/postgres/index.js';
import { withStores, includes, type StoreChoice } from './connect.js';

export interface StoreCreation {
  store: 'postgres' | 'clickhouse';
  kind: 'postgres' | 'pglite' | 'clickhouse' | 'chdb';
  name: string;
  status: 'created' | 'existing';
}

export interface DbCreateResult {
  databases: StoreCreation[];
}

/** Creates what is missing and says what was already there; running it twice is harmless. */
export async function createDatabases(config: AppConfig, choice: StoreChoice): Promise<DbCreateResult> {
  const databases: StoreCreation[] = [];
  const embeddedPg = !config.databaseUrl && includes(choice, 'postgres');
  const embeddedCh = !config.clickhouseUrl && includes(choice, 'clickhouse');
  const pgDir = path.join(config.dataDir, 'pg');
  const chDir = path.join(config.dataDir, 'ch');
  const pgExisted = existsSync(pgDir);
  const chExisted = existsSync(chDir);

  if (config.databaseUrl && includes(choice, 'postgres')) {
    const result = await createPostgresDatabase(config.databaseUrl, { tls: config.databaseTlsEnabled });
    databases.push({ store: 'postgres', kind: 'postgres', name: result.name, status: result.created ? 'created' : 'existing' });
  }
  if (config.clickhouseUrl && includes(choice, 'clickhouse')) {
    const result = await createClickHouseDatabase({ url: config.clickhouseUrl });
    databases.push({ store: 'clickhouse', kind: 'clickhouse', name: result.name, status: result.created ? 'created' : 'existing' });
  }
  if (embeddedPg || embeddedCh) {
    // Opening the embedded stores creates them, under the DATA_DIR lock.
    const names = await withStores(config, async (stores) => ({ ch: stores.clickhouse.database }));
    if (embeddedPg) databases.push({ store: 'postgres', kind: 'pglite', name: pgDir, status: pgExisted ? 'existing' : 'created' });
    if (embeddedCh) databases.push({ store: 'clickhouse', kind: 'chdb', name: `${chDir} (${names.ch})`, status: chExisted ? 'existing' : 'created' });
  }
  return { databases: databases.sort((a, b) => a.store.localeCompare(b.store)).reverse() };
}
