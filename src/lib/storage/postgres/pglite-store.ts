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
/** Size of the pieces a COPY output is handed on in (like a socket read on PostgreSQL). */
const COPY_CHUNK_BYTES = 1024 * 1024;

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
      copyOut: (source: string) => this.copyOutDirect(source),
      copyIn: (target: string, data: AsyncIterable<Uint8Array>) => this.copyInDirect(target, data),
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

  async *copyOut(source: string): AsyncGenerator<Uint8Array> {
    // The whole output is in memory once COPY returns: take the connection for the COPY alone.
    const chunks: Uint8Array[] = [];
    await this.mutex.runExclusive(async () => {
      for await (const chunk of this.copyOutDirect(source)) chunks.push(chunk);
    });
    yield* chunks;
  }

  copyIn(target: string, data: AsyncIterable<Uint8Array>): Promise<number> {
    return this.mutex.runExclusive(() => this.copyInDirect(target, data));
  }

  /**
   * PGlite has no COPY protocol to the client: COPY writes to (reads from) its `/dev/blob` device, a Blob
   * in memory. Acceptable for the embedded mode, whose Postgres holds accounts and settings (events live
   * in ClickHouse); the chunks handed on are views of that one buffer.
   */
  private async *copyOutDirect(source: string): AsyncGenerator<Uint8Array> {
    const result = await this.guard(() => this.db.query(`COPY ${source} TO '/dev/blob'`));
    if (!result.blob) return;
    const bytes = new Uint8Array(await result.blob.arrayBuffer());
    for (let offset = 0; offset < bytes.length; offset += COPY_CHUNK_BYTES) yield bytes.subarray(offset, offset + COPY_CHUNK_BYTES);
  }

  private async copyInDirect(target: string, data: AsyncIterable<Uint8Array>): Promise<number> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of data) chunks.push(chunk);
    const blob = new Blob(chunks as Uint8Array<ArrayBuffer>[]);
    const result = await this.guard(() => this.db.query(`COPY ${target} FROM '/dev/blob'`, [], { blob }));
    return result.affectedRows ?? 0;
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
