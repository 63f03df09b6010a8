import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnreachableError } from '../../../src/lib/storage/errors.js';
import {
  createPgliteDatabase,
  createPostgresDatabase,
  openPgStore,
} from '../../../src/lib/storage/postgres/index.js';
import { startPostgresCluster, type PostgresCluster } from '../../helpers/postgres-cluster.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

async function unreachable(promise: Promise<unknown>): Promise<StoreUnreachableError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreUnreachableError);
  return error as StoreUnreachableError;
}

describe('opening PostgreSQL', () => {
  let cluster: PostgresCluster;
  const password = `s3cret'"pw`;

  beforeAll(async () => {
    cluster = await startPostgresCluster({ password });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('throws StoreUnreachableError for a port nobody listens on', async () => {
    const error = await unreachable(openPgStore({ url: 'postgres://u:hidden@127.0.0.1:1/analytics' }));
    expect(error.reason).toBe('connection-refused');
    expect(error.host).toBe('127.0.0.1:1');
    expect(error.cause).toMatch(/connection refused/);
    expect(error.message).not.toContain('hidden');
  });

  it('throws StoreUnreachableError for an unknown host', async () => {
    const error = await unreachable(openPgStore({ url: 'postgres://u@no-such-host.invalid:5432/analytics' }));
    expect(error.reason).toBe('host-not-found');
  });

  it('throws StoreUnreachableError for a malformed URL, without echoing it', async () => {
    const error = await unreachable(openPgStore({ url: 'not a url with password hunter2' }));
    expect(error.reason).toBe('invalid-url');
    expect(error.message).not.toContain('hunter2');
    const noDb = await unreachable(openPgStore({ url: 'postgres://127.0.0.1:5432' }));
    expect(noDb.cause).toMatch(/no database name/);
    const wrongScheme = await unreachable(openPgStore({ url: 'mysql://127.0.0.1/db' }));
    expect(wrongScheme.cause).toMatch(/postgres:\/\//);
  });

  it('throws StoreUnreachableError (auth-failed) for a wrong password', async () => {
    const url = cluster.url('postgres').replace(encodeURIComponent(password), 'wrong');
    const error = await unreachable(openPgStore({ url }));
    expect(error.reason).toBe('auth-failed');
    expect(error.cause).toMatch(/password authentication failed/);
    expect(error.message).not.toContain('wrong@');
  });

  it('throws StoreUnreachableError (database-missing) naming the next command', async () => {
    const error = await unreachable(openPgStore({ url: cluster.url('missing_db') }));
    expect(error.reason).toBe('database-missing');
    expect(error.cause).toContain('analytics db createdb');
  });

  it('createPostgresDatabase creates a missing database (quoted name) and reports an existing one', async () => {
    const name = 'we"ird db-name';
    expect(await createPostgresDatabase(cluster.url(name))).toEqual({ created: true, name });
    expect(await createPostgresDatabase(cluster.url(name))).toEqual({ created: false, name });
    const store = await openPgStore({ url: cluster.url(name) });
    expect(await store.query('SELECT current_database() AS db')).toEqual([{ db: name }]);
    await store.close();
  });

  it('createPostgresDatabase maps an unreachable server to StoreUnreachableError', async () => {
    const error = await unreachable(createPostgresDatabase('postgres://u@127.0.0.1:1/analytics'));
    expect(error.reason).toBe('connection-refused');
  });
});

describe('creating the PGlite database', () => {
  it('initializes the directory once, then reports it as existing', async () => {
    const temp = await makeTempDir();
    try {
      const dir = join(temp.path, 'pg');
      expect(await createPgliteDatabase(dir)).toEqual({ created: true, name: dir });
      expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);
      expect(await createPgliteDatabase(dir)).toEqual({ created: false, name: dir });
    } finally {
      await temp.remove();
    }
  });
});
