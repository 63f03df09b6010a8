export type {
  CreateDatabaseResult,
  PostgresConnection,
  PostgresQueryable,
  PostgresStore,
  PostgresStreamOptions,
  Row,
} from './types.js';
export { openPgStore, type PgStoreOptions } from './pg-store.js';
export { openPgliteStore, createPgliteDatabase } from './pglite-store.js';
export { createPostgresDatabase } from './create-database.js';
export { parsePostgresUrl, quoteIdentifier, type PostgresUrlParts } from './url.js';
