export type {
  ClickHouseInsertOptions,
  ClickHouseParams,
  ClickHouseStore,
  CreateClickHouseDatabaseResult,
} from './types.js';
export { openChdbStore, type ChdbStoreOptions } from './chdb-store.js';
export { openHttpClickHouseStore, wrapClickHouseClient, type HttpClickHouseStoreOptions } from './http-store.js';
export { createClickHouseDatabase, type ClickHouseDatabaseTarget } from './create-database.js';
export { parseClickHouseUrl, DEFAULT_CLICKHOUSE_DATABASE, type ClickHouseUrlParts } from './url.js';
export { InvalidIdentifierError } from './identifiers.js';
