import type { PostgresQueryable } from './types.js';

/** BEGIN/COMMIT around fn on one connection; ROLLBACK (and rethrow) when fn fails. */
export async function runInTransaction<T>(
  conn: PostgresQueryable,
  fn: (tx: PostgresQueryable) => Promise<T>,
): Promise<T> {
  await conn.exec('BEGIN');
  let result: T;
  try {
    result = await fn(conn);
  } catch (error) {
    await conn.exec('ROLLBACK').catch(() => undefined);
    throw error;
  }
  await conn.exec('COMMIT');
  return result;
}
