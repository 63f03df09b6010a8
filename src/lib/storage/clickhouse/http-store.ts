import { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { toClickHouseError } from './errors.js';
import { assertFormatName, assertSettingNames, assertTableName, columnList, stripTrailingSemicolons } from './identifiers.js';
import { stringifyJson } from './json-each-row.js';
import { CONNECTION_SETTINGS, insertSettings } from './settings.js';
import type { ClickHouseInsertOptions, ClickHouseParams, ClickHouseStore, EncodedInsertFormat, EncodedInsertOptions } from './types.js';
import { parseClickHouseUrl } from './url.js';

export interface HttpClickHouseStoreOptions {
  /** CLICKHOUSE_URL: http(s)://[user:password@]host:port/database */
  url: string;
  user?: string;
  password?: string;
  /** Per-request timeout in ms (default 300000: backups stream large tables). */
  requestTimeoutMs?: number;
  /** Connect to this database instead of the URL's (createClickHouseDatabase uses `default`). */
  databaseOverride?: string;
}

/** ClickHouse over its HTTP interface with @clickhouse/client. */
class HttpClickHouseStore implements ClickHouseStore {
  readonly kind = 'clickhouse' as const;
  readonly database: string;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly target: { address: string; database: string },
  ) {
    this.database = target.database;
  }

  async query<T extends object = Record<string, unknown>>(sql: string, params?: ClickHouseParams): Promise<T[]> {
    return this.guard(async () => {
      const result = await this.client.query({
        query: stripTrailingSemicolons(sql),
        format: 'JSONEachRow',
        ...(params ? { query_params: params } : {}),
      });
      return result.json<T>();
    });
  }

  async command(sql: string, params?: ClickHouseParams): Promise<void> {
    await this.guard(() => this.client.command({ query: sql, ...(params ? { query_params: params } : {}) }));
  }

  async insert(table: string, rows: readonly object[], options?: ClickHouseInsertOptions): Promise<void> {
    assertTableName(table);
    if (rows.length === 0) return;
    await this.guard(() =>
      this.client.insert({
        table,
        values: rows as object[],
        format: 'JSONEachRow',
        clickhouse_settings: insertSettings(options),
      }),
    );
  }

  async insertEncoded(table: string, format: EncodedInsertFormat, body: Buffer, options?: EncodedInsertOptions): Promise<void> {
    assertTableName(table);
    assertFormatName(format);
    const settings = assertSettingNames({ ...insertSettings(options), ...options?.settings });
    if (body.length === 0) return;
    const result = await this.guard(() =>
      this.client.exec({
        query: `INSERT INTO ${table}${columnList(options?.columns)} FORMAT ${format}`,
        values: Readable.from([body]),
        clickhouse_settings: settings,
      }),
    );
    result.stream.resume();
    result.stream.destroy();
  }

  async *stream(sql: string, params: ClickHouseParams | undefined, format: string): AsyncGenerator<Uint8Array> {
    assertFormatName(format);
    // exec returns the raw response body: the client's ResultSet only knows text/JSON formats.
    const result = await this.guard(() =>
      this.client.exec({
        query: `${stripTrailingSemicolons(sql)}\nFORMAT ${format}`,
        ...(params ? { query_params: params } : {}),
      }),
    );
    try {
      for await (const chunk of result.stream as AsyncIterable<Buffer>) yield chunk;
    } catch (error) {
      throw toClickHouseError(error, this.target);
    } finally {
      // Releases the socket when the consumer stops early.
      result.stream.destroy();
    }
  }

  async insertStream(table: string, format: string, source: AsyncIterable<Uint8Array>): Promise<void> {
    assertTableName(table);
    assertFormatName(format);
    const result = await this.guard(() =>
      this.client.exec({ query: `INSERT INTO ${table} FORMAT ${format}`, values: Readable.from(source) }),
    );
    result.stream.resume();
    result.stream.destroy();
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** Checks the server answers, accepts the credentials and has the database. */
  async verify(): Promise<void> {
    try {
      await (await this.client.query({ query: 'SELECT 1', format: 'JSONEachRow' })).json();
    } catch (error) {
      throw toClickHouseError(error, this.target, 'connect');
    }
  }

  private async guard<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toClickHouseError(error, this.target);
    }
  }
}

/** Client options every connection needs so both transports answer alike (also used by tests). */
export function clientBehaviour() {
  return {
    clickhouse_settings: { ...CONNECTION_SETTINGS },
    // Failures reach the caller as typed errors; the client's own logging would print stack traces
    // to stderr of every CLI command.
    log: { level: ClickHouseLogLevel.OFF },
    // Rows may carry bigint (UInt64 ids); the default JSON.stringify throws on them.
    json: { parse: JSON.parse, stringify: stringifyJson },
  };
}

/**
 * Wraps an already configured client (its `database` must be target.database; spread
 * clientBehaviour() into its options). Lets tests drive this transport through another
 * @clickhouse/client connection, e.g. chDB's `chdb/connection`.
 */
export function wrapClickHouseClient(
  client: ClickHouseClient,
  target: { address: string; database: string },
): ClickHouseStore {
  return new HttpClickHouseStore(client, target);
}

/** Connects to CLICKHOUSE_URL and checks server, credentials and database (StoreUnreachableError otherwise). */
export async function openHttpClickHouseStore(options: HttpClickHouseStoreOptions): Promise<ClickHouseStore> {
  const parts = parseClickHouseUrl(options.url, { user: options.user, password: options.password });
  const target = options.databaseOverride ? { ...parts, database: options.databaseOverride } : parts;
  const client = createClient({
    url: target.origin,
    username: target.username,
    password: target.password,
    database: target.database,
    application: 'analytics',
    request_timeout: options.requestTimeoutMs ?? 300_000,
    ...clientBehaviour(),
  });
  const store = new HttpClickHouseStore(client, target);
  try {
    await store.verify();
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
  return store;
}
