import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { PGlite, types } from '@electric-sql/pglite';
import { AsyncMutex } from '../async-mutex.js';
import { StoreUnreachableError } from '../errors.js';
import { ADVISORY_LOCK_SQL, ADVISORY_UNLOCK_SQL, advisoryLockKey } from './advisory-lock.js';
import { streamWithCursor } from './cursor-stream.js';
import { toPostgresError } from './errors.js';
import { runInTransaction } from './transaction.js';
import type {
  CreateDatabaseResult,
  PostgresConnection,
  PostgresQueryable,
  PostgresStore,
  PostgresStreamOptions,
  Row,
} from './types.js';

const INT8_ARRAY_OID = 1016;

/** Results must look like `pg`'s: int8 as a string (no precision loss past 2^53), not a JS number. */
const PG_COMPATIBLE_PARSERS = {
  [types.INT8]: (value: string) => value,
  [INT8_ARRAY_OID]: (value: string) => types.arrayParser(value, (element: string) => element, types.INT8),
};

/**
 * PostgreSQL compiled to WASM, persisted in a directory. PGlite is one connection: a mutex
 * serializes transactions, lock sections and streams so their statements never interleave with
 * queries from other callers; code inside those sections re-enters freely.
 */
class PgliteStore implements PostgresStore {
  readonly kind = 'pglite' as const;
  private readonly mutex = new AsyncMutex();
  private readonly target: { address: string; database: string };
  private readonly direct: PostgresConnection;
  /** Open transactions on the single connection, so a stream inside one does not BEGIN/COMMIT again. */
  private transactionDepth = 0;

  constructor(
    private readonly db: PGlite,
    readonly dataDir: string,
  ) {
    this.target = { address: dataDir, database: 'postgres' };
    // Runs on the connection without taking the mutex; only used by a holder of the mutex.
    this.direct = {
      query: <T extends object = Row>(sql: string, params?: readonly unknown[]) =>
        this.guard(async () => (await this.db.query<T>(sql, params as unknown[] | undefined)).rows),
      exec: (sql: string) =>
        this.guard(async () => {
          await this.db.exec(sql);
        }),
      transaction: (fn) => this.runTransaction(fn),
    };
  }

  query<T extends object = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.mutex.runExclusive(() => this.direct.query<T>(sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.mutex.runExclusive(() => this.direct.exec(sql));
  }

  transaction<T>(fn: (tx: PostgresQueryable) => Promise<T>): Promise<T> {
    return this.mutex.runExclusive(() => this.runTransaction(fn));
  }

  withAdvisoryLock<T>(key: bigint | number, fn: (conn: PostgresConnection) => Promise<T>): Promise<T> {
    const lockKey = advisoryLockKey(key);
    return this.mutex.runExclusive(async () => {
      await this.direct.query(ADVISORY_LOCK_SQL, [lockKey]);
      let result: T;
      try {
        result = await fn(this.direct);
      } catch (error) {
        await this.direct.query(ADVISORY_UNLOCK_SQL, [lockKey]).catch(() => undefined);
        throw error;
      }
      await this.direct.query(ADVISORY_UNLOCK_SQL, [lockKey]);
      return result;
    });
  }

  async *stream<T extends object = Row>(
    sql: string,
    params?: readonly unknown[],
    options?: PostgresStreamOptions,
  ): AsyncGenerator<T[]> {
    // The cursor's transaction must own the single connection from DECLARE to COMMIT.
    const release = this.mutex.heldByCurrentContext ? () => undefined : await this.mutex.acquire();
    try {
      yield* streamWithCursor<T>(this.direct, sql, params, {
        batchSize: options?.batchSize ?? 1000,
        insideTransaction: this.transactionDepth > 0,
      });
    } finally {
      release();
    }
  }

  private async runTransaction<T>(fn: (tx: PostgresQueryable) => Promise<T>): Promise<T> {
    this.transactionDepth += 1;
    try {
      return await runInTransaction(this.direct, fn);
    } finally {
      this.transactionDepth -= 1;
    }
  }

  async close(): Promise<void> {
    await this.mutex.runExclusive(async () => {
      if (!this.db.closed) await this.db.close();
    });
  }

  private async guard<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toPostgresError(error, this.target);
    }
  }
}

/** Opens (creating on first use, which takes a few seconds) a PGlite database persisted in dataDir. */
export async function openPgliteStore(dataDir: string): Promise<PostgresStore> {
  await mkdir(dataDir, { recursive: true });
  let db: PGlite;
  try {
    db = new PGlite(dataDir, { parsers: PG_COMPATIBLE_PARSERS });
    await db.waitReady;
  } catch (error) {
    throw new StoreUnreachableError({
      store: 'postgres',
      host: dataDir,
      reason: 'other',
      cause: `cannot open the embedded PostgreSQL (PGlite) data directory: ${error instanceof Error ? error.message : String(error)}`,
      originalError: error,
    });
  }
  return new PgliteStore(db, dataDir);
}

/** "Creates the database" for embedded mode: initializes the PGlite directory when it does not exist yet. */
export async function createPgliteDatabase(dataDir: string): Promise<CreateDatabaseResult> {
  const initialized = existsSync(dataDir) && existsSync(`${dataDir}/PG_VERSION`);
  if (initialized) return { created: false, name: dataDir };
  const store = await openPgliteStore(dataDir);
  await store.close();
  return { created: true, name: dataDir };
}
