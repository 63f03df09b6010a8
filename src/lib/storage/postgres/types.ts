/**
 * The Postgres adapter contract. The same SQL text (with $1, $2 positional parameters) runs on
 * PostgreSQL (`pg`) and PGlite; results have the same shape on both (int8/bigint columns come back
 * as strings, numeric as strings, timestamptz as Date, json/jsonb parsed).
 */

export type Row = Record<string, unknown>;

export interface PostgresQueryable {
  /** One statement with positional parameters ($1, $2...). Returns the rows (empty for statements without result). */
  query<T extends object = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Multi-statement SQL text without parameters (migration files). */
  exec(sql: string): Promise<void>;
  /**
   * `COPY source TO ...` in text format, where source is `table (columns)` or `(SELECT ...)`: the output's
   * bytes, rows ending in newlines. PostgreSQL streams them (COPY TO STDOUT); PGlite writes the whole
   * output to its `/dev/blob` device first, so it is held in memory. Consume it to the end.
   */
  copyOut(source: string): AsyncIterable<Uint8Array>;
  /** `COPY target FROM ...` in text format, fed from data (PGlite: gathered in memory first); resolves to the rows copied. */
  copyIn(target: string, data: AsyncIterable<Uint8Array>): Promise<number>;
}

/** A queryable bound to one dedicated connection, which can also open transactions on that connection. */
export interface PostgresConnection extends PostgresQueryable {
  transaction<T>(fn: (tx: PostgresQueryable) => Promise<T>): Promise<T>;
}

export interface PostgresStreamOptions {
  /** Rows fetched per round trip (FETCH n); default 1000. */
  batchSize?: number;
}

export interface PostgresStore extends PostgresConnection {
  readonly kind: 'postgres' | 'pglite';
  /**
   * Runs fn holding `pg_advisory_lock(key)` on one dedicated connection; the lock is released in
   * `finally`. Use the given connection inside fn (it can open transactions on the locked connection).
   */
  withAdvisoryLock<T>(key: bigint | number, fn: (conn: PostgresConnection) => Promise<T>): Promise<T>;
  /**
   * Streams the rows of one SELECT in batches through a server-side cursor (DECLARE/FETCH inside a
   * read-only transaction). Memory stays bounded by batchSize. Breaking out of the loop closes the cursor.
   * PGlite has one connection: the stream owns it until it ends, so other queries wait — do not await
   * other store calls inside the loop body there (collect what you need first).
   */
  stream<T extends object = Row>(
    sql: string,
    params?: readonly unknown[],
    options?: PostgresStreamOptions,
  ): AsyncIterable<T[]>;
  close(): Promise<void>;
}

export interface CreateDatabaseResult {
  /** False when the database already existed. */
  created: boolean;
  /** The database name, or the PGlite directory. */
  name: string;
}
