import type { SpoolTable } from './rows.js';

export interface SinkInsertOptions {
  /**
   * Same rows → same token, across retries and process restarts: the sink must make a repeated
   * insert with a token it has already stored a no-op.
   */
  deduplicationToken: string;
}

/** Where the flusher delivers spooled rows (ClickHouse in production: clickhouse-sink.ts). */
export interface SpoolSink {
  /**
   * `rows` is JSONCompactEachRow text, one row of `table` per line with the values of SPOOL_COLUMNS
   * (rows.ts), exactly as the spool stored it. The flusher reuses the buffer once the promise settles.
   */
  insertRows(table: SpoolTable, rows: Buffer, options: SinkInsertOptions): Promise<void>;
}
