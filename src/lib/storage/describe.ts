import { join } from 'node:path';
import { StoreUnreachableError } from './errors.js';
import { DEFAULT_CLICKHOUSE_DATABASE, parseClickHouseUrl } from './clickhouse/url.js';
import { parsePostgresUrl } from './postgres/url.js';

export interface StoreLocationOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  clickhouseUrl?: string | undefined;
  clickhouseUser?: string | undefined;
}

export type StoresMode = 'embedded' | 'servers' | 'mixed';

export type PostgresDescription =
  | { kind: 'pglite'; path: string }
  | { kind: 'postgres'; host: string; port: number; database: string; user: string }
  | { kind: 'postgres'; invalidUrl: string };

export type ClickHouseDescription =
  | { kind: 'chdb'; path: string; database: string }
  | { kind: 'clickhouse'; origin: string; host: string; port: number; database: string; user: string }
  | { kind: 'clickhouse'; invalidUrl: string };

/** Where each store lives, safe to print or log: never a password. */
export interface StoresDescription {
  mode: StoresMode;
  dataDir: string;
  postgres: PostgresDescription;
  clickhouse: ClickHouseDescription;
}

export function storesMode(options: Pick<StoreLocationOptions, 'databaseUrl' | 'clickhouseUrl'>): StoresMode {
  if (!options.databaseUrl && !options.clickhouseUrl) return 'embedded';
  if (options.databaseUrl && options.clickhouseUrl) return 'servers';
  return 'mixed';
}

export const embeddedPostgresPath = (dataDir: string) => join(dataDir, 'pg');
export const embeddedClickHousePath = (dataDir: string) => join(dataDir, 'ch');

/** Describes the configured stores without connecting; an unparsable URL is described, not thrown. */
export function describeStores(options: StoreLocationOptions): StoresDescription {
  return {
    mode: storesMode(options),
    dataDir: options.dataDir,
    postgres: describePostgres(options),
    clickhouse: describeClickHouse(options),
  };
}

function describePostgres(options: StoreLocationOptions): PostgresDescription {
  if (!options.databaseUrl) return { kind: 'pglite', path: embeddedPostgresPath(options.dataDir) };
  try {
    const { host, port, database, user } = parsePostgresUrl(options.databaseUrl);
    return { kind: 'postgres', host, port, database, user };
  } catch (error) {
    return { kind: 'postgres', invalidUrl: causeOf(error) };
  }
}

function describeClickHouse(options: StoreLocationOptions): ClickHouseDescription {
  if (!options.clickhouseUrl) {
    return { kind: 'chdb', path: embeddedClickHousePath(options.dataDir), database: DEFAULT_CLICKHOUSE_DATABASE };
  }
  try {
    const parts = parseClickHouseUrl(options.clickhouseUrl, { user: options.clickhouseUser });
    const url = new URL(parts.origin);
    return {
      kind: 'clickhouse',
      origin: parts.origin,
      host: url.hostname,
      port: Number(url.port),
      database: parts.database,
      user: parts.username,
    };
  } catch (error) {
    return { kind: 'clickhouse', invalidUrl: causeOf(error) };
  }
}

function causeOf(error: unknown): string {
  if (error instanceof StoreUnreachableError) return error.cause;
  return error instanceof Error ? error.message : String(error);
}
