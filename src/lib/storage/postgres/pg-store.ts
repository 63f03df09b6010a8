import { finished, pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { ADVISORY_LOCK_SQL, ADVISORY_UNLOCK_SQL, advisoryLockKey } from './advisory-lock.js';
import { streamWithCursor } from './cursor-stream.js';
import { StoreUnreachableError } from '../errors.js';
import { toPostgresError } from './errors.js';
import { runInTransaction } from './transaction.js';
import type { PostgresConnection, PostgresQueryable, PostgresStore, PostgresStreamOptions, Row } from './types.js';
import { parsePostgresUrl, type PostgresUrlParts } from './url.js';

export interface PgStoreOptions {
  url: string;
  /** DATABASE_POOL_SIZE; default 10. */
  poolSize?: number;
  /** DATABASE_TLS_ENABLED: TLS with certificate verification. */
  tls?: boolean;
  /** Milliseconds to wait for a connection before failing as unreachable; default 10000. */
  connectTimeoutMs?: number;
}

/** PostgreSQL over a `pg` Pool. */
class PgStore implements PostgresStore {
  readonly kind = 'postgres' as const;

  constructor(
    private readonly pool: pg.Pool,
    private readonly target: PostgresUrlParts,
  ) {}

  query<T extends object = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.guard(async () => (await this.pool.query(sql, params as unknown[] | undefined)).rows as T[]);
  }

  exec(sql: string): Promise<void> {
    return this.guard(async () => {
      await this.pool.query(sql);
    });
  }

  transaction<T>(fn: (tx: PostgresQueryable) => Promise<T>): Promise<T> {
    return this.withClient((conn) => runInTransaction(conn, fn));
  }

  async *copyOut(source: string): AsyncGenerator<Uint8Array> {
    const client = await this.connect();
    let broken = false;
    try {
      yield* this.copyOutOn(client, source);
    } catch (error) {
      broken = true;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  copyIn(target: string, data: AsyncIterable<Uint8Array>): Promise<number> {
    return this.withClient((conn) => conn.copyIn(target, data));
  }

  withAdvisoryLock<T>(key: bigint | number, fn: (conn: PostgresConnection) => Promise<T>): Promise<T> {
    const lockKey = advisoryLockKey(key);
    return this.withClient(async (conn, discard) => {
      await conn.query(ADVISORY_LOCK_SQL, [lockKey]);
      let result: T;
      try {
        result = await fn(conn);
      } catch (error) {
        // Report the section's own error; if unlocking fails too, destroying the connection ends the lock.
        await conn.query(ADVISORY_UNLOCK_SQL, [lockKey]).catch(discard);
        throw error;
      }
      try {
        await conn.query(ADVISORY_UNLOCK_SQL, [lockKey]);
      } catch (error) {
        discard();
        throw error;
      }
      return result;
    });
  }

  async *stream<T extends object = Row>(
    sql: string,
    params?: readonly unknown[],
    options?: PostgresStreamOptions,
  ): AsyncGenerator<T[]> {
    const client = await this.connect();
    let broken = false;
    try {
      yield* streamWithCursor<T>(this.wrapClient(client), sql, params, { batchSize: options?.batchSize ?? 1000 });
    } catch (error) {
      broken = true;
      throw error;
    } finally {
      // A failed stream may leave the connection mid-protocol: drop it instead of reusing it.
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Verifies reachability, credentials and that the database exists. */
  async verify(): Promise<void> {
    await this.query('SELECT 1');
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw toPostgresError(error, this.target);
    }
  }

  /**
   * Runs fn on one dedicated pooled connection. The connection goes back to the pool unless it broke
   * or fn called discard() (e.g. a lock could not be released): then it is destroyed.
   */
  private async withClient<T>(fn: (conn: PostgresConnection, discard: () => void) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let destroy = false;
    const discard = () => {
      destroy = true;
    };
    try {
      return await fn(this.wrapClient(client), discard);
    } catch (error) {
      if (error instanceof StoreUnreachableError) destroy = true;
      throw error;
    } finally {
      client.release(destroy);
    }
  }

  private wrapClient(client: pg.PoolClient): PostgresConnection {
    const conn: PostgresConnection = {
      query: <T extends object = Row>(sql: string, params?: readonly unknown[]) =>
        this.guard(async () => (await client.query(sql, params as unknown[] | undefined)).rows as T[]),
      exec: (sql: string) =>
        this.guard(async () => {
          await client.query(sql);
        }),
      copyOut: (source: string) => this.copyOutOn(client, source),
      copyIn: (target: string, data: AsyncIterable<Uint8Array>) =>
        this.guard(async () => {
          const stream = client.query(copyFrom(`COPY ${target} FROM STDIN`));
          // A failing source makes the stream send CopyFail: the server rolls the COPY back, the connection stays usable.
          await pipeline(Readable.from(data, { objectMode: false }), stream);
          return stream.rowCount;
        }),
      transaction: (fn) => runInTransaction(conn, fn),
    };
    return conn;
  }

  /** COPY ... TO STDOUT on one client, the chunks as the server sends them. */
  private async *copyOutOn(client: pg.PoolClient, source: string): AsyncGenerator<Uint8Array> {
    const stream = client.query(copyTo(`COPY ${source} TO STDOUT`));
    let ended = false;
    try {
      for await (const chunk of stream.iterator({ destroyOnReturn: false })) yield chunk as Buffer;
      ended = true;
    } catch (error) {
      throw toPostgresError(error, this.target);
    } finally {
      // A consumer that stops early: read the rest, or the connection would stay in COPY mode.
      if (!ended && !stream.destroyed) {
        stream.resume();
        await finished(stream).catch(() => undefined);
      }
    }
  }

  private async guard<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toPostgresError(error, this.target);
    }
  }
}

/** Opens a pool on DATABASE_URL and checks it can connect (throws StoreUnreachableError otherwise). */
export async function openPgStore(options: PgStoreOptions): Promise<PostgresStore> {
  const target = parsePostgresUrl(options.url);
  const poolSize = options.poolSize ?? 10;
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new RangeError(`DATABASE_POOL_SIZE must be a positive integer, got ${poolSize}`);
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    ...(options.tls ? { ssl: { rejectUnauthorized: true } } : {}),
  });
  // An idle client losing its server emits 'error' on the pool; without a listener Node would crash.
  // The next query surfaces the problem as a StoreUnreachableError instead.
  pool.on('error', () => undefined);
  const store = new PgStore(pool, target);
  try {
    await store.verify();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  return store;
}
