export * from './errors.js';
export { openStores, createDatabases, describeStores } from './open.js';
export type { OpenStoresOptions, OpenedStores, CreatedDatabases, StoresDescription, StoresMode } from './open.js';
export { acquireDataDirLock, LOCK_FILE_NAME, type DataDirLock } from './data-dir-lock.js';
export type { PostgresStore, PostgresQueryable, PostgresConnection } from './postgres/index.js';
export type { ClickHouseStore, ClickHouseParams, ClickHouseInsertOptions } from './clickhouse/index.js';
