/**
 * The ClickHouse adapter contract. The same SQL text runs on ClickHouse over HTTP and on chDB.
 * Parameters use ClickHouse's server-side syntax `{name:Type}` and are always bound, never
 * interpolated. 64-bit integers come back as strings in JSON rows on both (precision-safe).
 */

export type ClickHouseParams = Record<string, unknown>;

export interface ClickHouseInsertOptions {
  /**
   * Makes retries of the same batch idempotent: ClickHouse drops a block whose token it has seen
   * (needs `non_replicated_deduplication_window` on a MergeTree table). Sets `async_insert=0` too,
   * because asynchronous inserts bypass this deduplication.
   */
  deduplicationToken?: string;
}

export interface EncodedInsertOptions extends ClickHouseInsertOptions {
  /** The columns the rows hold, in order (`INSERT INTO t (a, b) ...`); the others take their defaults. */
  columns?: readonly string[];
  /** Extra ClickHouse settings for this insert (names are constants of ours, never user input). */
  settings?: Readonly<Record<string, string | number>>;
}

/** Row formats both transports take as a ready-made insert body. */
export type EncodedInsertFormat = 'JSONEachRow' | 'JSONCompactEachRow' | 'TSV' | 'TabSeparated' | 'CSV';

export interface ClickHouseStore {
  readonly kind: 'clickhouse' | 'chdb';
  /** The named database every unqualified table name refers to. */
  readonly database: string;
  /** A SELECT (or anything returning rows); rows parsed from JSONEachRow. Do not add a FORMAT clause. */
  query<T extends object = Record<string, unknown>>(sql: string, params?: ClickHouseParams): Promise<T[]>;
  /** DDL and statements without a result. */
  command(sql: string, params?: ClickHouseParams): Promise<void>;
  /** Batch insert of row objects (JSONEachRow). */
  insert(table: string, rows: readonly object[], options?: ClickHouseInsertOptions): Promise<void>;
  /** Batch insert of rows already encoded in `format` (the spool keeps JSONCompactEachRow lines). */
  insertEncoded(table: string, format: EncodedInsertFormat, body: Buffer, options?: EncodedInsertOptions): Promise<void>;
  /**
   * The raw bytes of a query result in `format` (e.g. 'Native' for backups), as they arrive:
   * never the whole result in memory. Do not add a FORMAT clause to sql.
   */
  stream(sql: string, params: ClickHouseParams | undefined, format: string): AsyncIterable<Uint8Array>;
  /** Feeds bytes in `format` (e.g. 'Native' from `stream`) into a table; the restore path. */
  insertStream(table: string, format: string, source: AsyncIterable<Uint8Array>): Promise<void>;
  close(): Promise<void>;
}

export interface CreateClickHouseDatabaseResult {
  created: boolean;
  name: string;
}
