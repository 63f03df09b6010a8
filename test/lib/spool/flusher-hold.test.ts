/** Flusher.hold, which backups and restores run under: flush first, then nothing reaches ClickHouse until released. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouseSink } from '../../../src/lib/spool/clickhouse-sink.js';
import { Flusher } from '../../../src/lib/spool/flusher.js';
import type { SpoolSink } from '../../../src/lib/spool/sink.js';
import { Spool } from '../../../src/lib/spool/spool.js';
import { openChdbStore, type ClickHouseStore } from '../../../src/lib/storage/clickhouse/index.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { createSpoolTables, storedEventIds } from './fixtures/clickhouse.js';
import { recordFor } from './fixtures/rows.js';

let temp: TempDir;
let store: ClickHouseStore;
beforeAll(async () => {
  temp = await makeTempDir('analytics-flusher-hold-');
  store = await openChdbStore({ path: join(temp.path, 'ch'), database: 'analytics' });
  await createSpoolTables(store);
});
afterAll(async () => {
  await store.close();
  await temp.remove();
});

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('Flusher.hold', () => {
  it('delivers everything acknowledged before, holds what arrives during fn in the spool, then delivers it', async () => {
    const spool = await Spool.open({ dir: join(temp.path, 'spool-1') });
    const flusher = new Flusher({ spool, sink: createClickHouseSink(store), intervalMs: 20, maxRows: 10 }).start();
    await Promise.all(range(0, 50).map((id) => spool.append(recordFor(id))));
    const seenInside = await flusher.hold(async () => {
      const before = await storedEventIds(store);
      await Promise.all(range(50, 120).map((id) => spool.append(recordFor(id))));
      await new Promise((resolve) => setTimeout(resolve, 300)); // many intervals and row triggers pass
      return { before, after: await storedEventIds(store), pending: spool.stats().pendingRecords };
    });
    expect(seenInside.before).toEqual(range(0, 50));
    expect(seenInside.after).toEqual(range(0, 50));
    expect(seenInside.pending).toBe(70);
    await flusher.flush();
    expect(await storedEventIds(store)).toEqual(range(0, 120));
    await flusher.stop();
    await spool.close();
  });

  it('does not run fn when the spool cannot be flushed, and releases the hold', async () => {
    const spool = await Spool.open({ dir: join(temp.path, 'spool-2') });
    let down = true;
    const clickhouse = createClickHouseSink(store);
    const sink: SpoolSink = {
      insertRows: async (table, rows, options) => {
        if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:8123');
        await clickhouse.insertRows(table, rows, options);
      },
    };
    const flusher = new Flusher({ spool, sink, intervalMs: 20, retry: { initialDelayMs: 10, maxDelayMs: 20 } }).start();
    await spool.append(recordFor(500));
    let ran = false;
    await expect(flusher.hold(async () => (ran = true), { timeoutMs: 200 })).rejects.toThrow(/could not be flushed.*ECONNREFUSED/);
    expect(ran).toBe(false);
    down = false;
    await flusher.flush({ timeoutMs: 5_000 });
    expect(await storedEventIds(store)).toContain(500);
    await flusher.stop();
    await spool.close();
  });
});
