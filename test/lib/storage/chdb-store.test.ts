import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChdbStore } from '../../../src/lib/storage/clickhouse/index.js';
import { openTempChdb } from '../../helpers/embedded.js';
import { describeClickHouseStoreContract } from './clickhouse-store-contract.js';

describeClickHouseStoreContract('ClickHouseStore on chDB', async () => {
  const embedded = await openTempChdb();
  expect(embedded.store.kind).toBe('chdb');
  expect(embedded.store.database).toBe('analytics');
  return embedded;
});

describe('chDB encoded inserts', () => {
  it('go through a staged file that is removed after the insert, and stale staged files are cleared at open', async () => {
    const embedded = await openTempChdb();
    const staging = path.join(embedded.dir, 'analytics-staging');
    try {
      await embedded.store.command('CREATE TABLE staged (id UInt32, label String) ENGINE = MergeTree ORDER BY id');
      await embedded.store.insertEncoded('staged', 'JSONCompactEachRow', Buffer.from('[1,"a"]\n[2,"b"]\n'));
      expect(await embedded.store.query('SELECT id, label FROM staged ORDER BY id')).toEqual([
        { id: 1, label: 'a' },
        { id: 2, label: 'b' },
      ]);
      expect(await readdir(staging)).toEqual([]);
      // A body the table refuses leaves no file behind either.
      await expect(embedded.store.insertEncoded('staged', 'JSONCompactEachRow', Buffer.from('["x"]\n'))).rejects.toThrow();
      expect(await readdir(staging)).toEqual([]);
      // Someone removed the folder while the store was open: the next insert recreates it.
      await rm(staging, { recursive: true });
      await embedded.store.insertEncoded('staged', 'TSV', Buffer.from('3\tc\n'));
      expect(await embedded.store.query('SELECT count() AS n FROM staged')).toEqual([{ n: '3' }]);
    } finally {
      await embedded.store.close();
    }
    await writeFile(path.join(staging, 'insert-1-1.jsoncompacteachrow'), 'left by a crash');
    const reopened = await openChdbStore({ path: embedded.dir });
    try {
      expect(await readdir(staging)).toEqual([]);
    } finally {
      await reopened.close();
      await embedded.cleanup();
    }
  });
});
