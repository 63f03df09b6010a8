import type { PostgresQueryable } from './types.js';

const CURSOR_NAME = 'analytics_stream_cursor';

/**
 * Reads one SELECT through a server-side cursor, `batchSize` rows per FETCH. The caller provides a
 * connection that nobody else uses meanwhile. By default the cursor lives in its own read-only
 * transaction, committed at the end or rolled back when the consumer stops early or fails; inside
 * a transaction the caller already opened (`insideTransaction`), only the cursor is opened and closed.
 */
export async function* streamWithCursor<T extends object>(
  conn: PostgresQueryable,
  sql: string,
  params: readonly unknown[] | undefined,
  options: { batchSize: number; insideTransaction?: boolean },
): AsyncGenerator<T[]> {
  const { batchSize, insideTransaction = false } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`stream batchSize must be a positive integer, got ${batchSize}`);
  }
  if (!insideTransaction) await conn.exec('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  let finished = false;
  let declared = false;
  try {
    await conn.query(`DECLARE ${CURSOR_NAME} NO SCROLL CURSOR FOR ${sql}`, params);
    declared = true;
    for (;;) {
      const batch = await conn.query<T>(`FETCH ${batchSize} FROM ${CURSOR_NAME}`);
      if (batch.length > 0) yield batch;
      if (batch.length < batchSize) break;
    }
    await conn.exec(insideTransaction ? `CLOSE ${CURSOR_NAME}` : `CLOSE ${CURSOR_NAME}; COMMIT`);
    finished = true;
  } finally {
    if (!finished && !insideTransaction) await conn.exec('ROLLBACK').catch(() => undefined);
    // Stopped early inside the caller's transaction: free the cursor name for the next stream.
    if (!finished && insideTransaction && declared) await conn.exec(`CLOSE ${CURSOR_NAME}`).catch(() => undefined);
  }
}
