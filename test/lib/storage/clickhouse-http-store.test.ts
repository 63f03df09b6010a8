import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { describe, expect, it } from 'vitest';
import {
  createClickHouseDatabase,
  openHttpClickHouseStore,
  wrapClickHouseClient,
} from '../../../src/lib/storage/clickhouse/index.js';
import { clientBehaviour } from '../../../src/lib/storage/clickhouse/http-store.js';
import { StoreUnreachableError } from '../../../src/lib/storage/errors.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { describeClickHouseStoreContract } from './clickhouse-store-contract.js';

const clickhouseUrl = process.env.CLICKHOUSE_URL;
const SKIPPED = ' (skipped: CLICKHOUSE_URL not set — point it at a ClickHouse server to run this)';

// The @clickhouse/client transport, driven through chDB's in-process client connection: the same
// client calls (query_params, insert settings, exec streams in and out) as over HTTP.
describeClickHouseStoreContract('ClickHouseStore via @clickhouse/client (chDB client connection)', async () => {
  const temp = await makeTempDir('analytics-chdb-client-');
  const client = createClient({
    // chdb bundles its own copy of @clickhouse/client-common, so the types differ while the shapes match.
    connection: createChdbConnection({ path: join(temp.path, 'ch') }) as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'],
    ...clientBehaviour(),
  });
  // chdb/connection ignores the client's `database` option; the engine connection keeps USE.
  await client.command({ query: 'CREATE DATABASE IF NOT EXISTS analytics' });
  await client.command({ query: 'USE analytics' });
  const store = wrapClickHouseClient(client, { address: 'chdb-client', database: 'analytics' });
  expect(store.kind).toBe('clickhouse');
  return {
    store,
    async cleanup() {
      await store.close();
      await temp.remove();
    },
  };
}, {
  nativeInsertUnsupported: 'chdb/connection passes INSERT data through a text query, which is not binary-safe',
});

// The real HTTP transport against a real server, in a throwaway database.
describe.skipIf(!clickhouseUrl)(`ClickHouseStore over HTTP at CLICKHOUSE_URL${clickhouseUrl ? '' : SKIPPED}`, () => {
  describeClickHouseStoreContract('contract', async () => {
    const url = new URL(clickhouseUrl as string);
    url.pathname = `/analytics_test_${randomBytes(4).toString('hex')}`;
    expect(await createClickHouseDatabase({ url: url.toString() })).toMatchObject({ created: true });
    expect(await createClickHouseDatabase({ url: url.toString() })).toMatchObject({ created: false });
    const store = await openHttpClickHouseStore({ url: url.toString() });
    return {
      store,
      async cleanup() {
        await store.command(`DROP DATABASE IF EXISTS ${store.database}`);
        await store.close();
      },
    };
  });

  it('reports a missing database as unreachable with the next command to run', async () => {
    const url = new URL(clickhouseUrl as string);
    url.pathname = '/analytics_missing_db_for_test';
    const error = await openHttpClickHouseStore({ url: url.toString() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnreachableError);
    expect((error as StoreUnreachableError).reason).toBe('database-missing');
    expect((error as StoreUnreachableError).cause).toContain('analytics db createdb');
  });

  it('reports a wrong password as auth-failed', async () => {
    const error = await openHttpClickHouseStore({ url: clickhouseUrl as string, password: 'definitely-wrong' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreUnreachableError);
    expect((error as StoreUnreachableError).reason).toBe('auth-failed');
  });
});

it.skipIf(!clickhouseUrl)(`reaches the ClickHouse server at CLICKHOUSE_URL over HTTP${clickhouseUrl ? '' : SKIPPED}`, async () => {
  const store = await openHttpClickHouseStore({ url: clickhouseUrl as string, databaseOverride: 'default' });
  try {
    expect(await store.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  } finally {
    await store.close();
  }
});

describe('opening ClickHouse over HTTP', () => {
  it('throws StoreUnreachableError for a port nobody listens on, naming the host and never the password', async () => {
    const error = await openHttpClickHouseStore({ url: 'http://default:hunter2@127.0.0.1:1/analytics' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreUnreachableError);
    const unreachable = error as StoreUnreachableError;
    expect(unreachable.reason).toBe('connection-refused');
    expect(unreachable.host).toBe('127.0.0.1:1');
    expect(unreachable.store).toBe('clickhouse');
    expect(unreachable.message).toContain('127.0.0.1:1');
    expect(unreachable.message).not.toContain('hunter2');
  });

  it('throws StoreUnreachableError for an unknown host', async () => {
    const error = await openHttpClickHouseStore({ url: 'http://no-such-host.invalid:8123/analytics' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreUnreachableError);
    expect((error as StoreUnreachableError).reason).toBe('host-not-found');
  });

  it('throws StoreUnreachableError for a malformed URL or a bad database name', async () => {
    for (const url of ['::not a url::', 'tcp://127.0.0.1:9000/analytics', 'http://127.0.0.1:8123/bad-name;drop']) {
      const error = await openHttpClickHouseStore({ url }).catch((e: unknown) => e);
      expect(error, url).toBeInstanceOf(StoreUnreachableError);
      expect((error as StoreUnreachableError).reason).toBe('invalid-url');
    }
  });

  it('takes the database from the URL path (default analytics)', async () => {
    const { parseClickHouseUrl } = await import('../../../src/lib/storage/clickhouse/index.js');
    expect(parseClickHouseUrl('http://u:p@ch.example:8123/events_db')).toMatchObject({
      origin: 'http://ch.example:8123',
      address: 'ch.example:8123',
      database: 'events_db',
      username: 'u',
      password: 'p',
    });
    expect(parseClickHouseUrl('https://ch.example', { user: 'x', password: 'y' })).toMatchObject({
      origin: 'https://ch.example:8443',
      database: 'analytics',
      username: 'x',
      password: 'y',
    });
  });
});
