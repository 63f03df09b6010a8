/**
 * The flusher's sink for ClickHouse (server or chDB): JSONCompactEachRow lines of `events` and
 * `sessions` (see rows.ts) inserted into the named columns with the flusher's deduplication token.
 *
 * Both tables set `non_replicated_deduplication_window`, and the store sends the token with
 * `insert_deduplicate=1, async_insert=0` (an asynchronous insert would bypass deduplication).
 * Verified on chDB: a block repeated with its token is dropped, also when it spans partitions and
 * after the data directory is closed and reopened (test/lib/spool/replay.test.ts).
 */
import type { ClickHouseStore } from '../storage/clickhouse/types.js';
import type { SinkInsertOptions, SpoolSink } from './sink.js';
import { SPOOL_COLUMNS, SPOOL_ROW_FORMAT, type SpoolTable } from './rows.js';

/**
 * The flusher's batches are small for ClickHouse (thousands of rows): splitting the parse over threads
 * costs more than it saves, and collapsing sign pairs inside a block is left to merges (queries never
 * rely on it). Together ~10 % less CPU per inserted event on chDB.
 */
const SPOOL_INSERT_SETTINGS = { input_format_parallel_parsing: 0, optimize_on_insert: 0 } as const;

/**
 * chDB parses the insert on one of this process's threads: at nice 10 it yields the core to request
 * handling (the spool already holds the events durably, so the insert may take a little longer).
 * ClickHouse resets the thread's priority when the query ends.
 */
const EMBEDDED_SPOOL_INSERT_SETTINGS = { ...SPOOL_INSERT_SETTINGS, os_thread_priority: 10 } as const;

export function createClickHouseSink(store: ClickHouseStore): SpoolSink {
  const settings = store.kind === 'chdb' ? EMBEDDED_SPOOL_INSERT_SETTINGS : SPOOL_INSERT_SETTINGS;
  return {
    insertRows: (table: SpoolTable, rows: Buffer, options: SinkInsertOptions) =>
      store.insertEncoded(table, SPOOL_ROW_FORMAT, rows, {
        deduplicationToken: options.deduplicationToken,
        columns: SPOOL_COLUMNS[table],
        settings,
      }),
  };
}
