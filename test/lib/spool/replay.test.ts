/**
 * Replaying a segment that already reached ClickHouse (a crash between insert and delete) must
 * store nothing twice: the flusher re-sends identical blocks with identical deduplication tokens.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClickHouseSink } from '../../../src/lib/spool/clickhouse-sink.js';
import { Flusher } from '../../../src/lib/spool/flusher.js';
import type { SinkInsertOptions, SpoolSink } from '../../../src/lib/spool/sink.js';
import { Spool } from '../../../src/lib/spool/spool.js';
import { openChdbStore, type ClickHouseStore } from '../../../src/lib/storage/clickhouse/index.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { countRows, createSpoolTables, storedEventIds, storedSessionIds, truncateSpoolTables } from './fixtures/clickhouse.js';
import { eventRow, recordFor } from './fixtures/rows.js';

let temp: TempDir;
let chPath: string;
let store: ClickHouseStore;
let spoolDir: string;

beforeAll(async () => {
  temp = await makeTempDir('analytics-spool-replay-');
  chPath = join(temp.path, 'ch');
  store = await openChdbStore({ path: chPath, database: 'analytics' });
  await createSpoolTables(store);
});
afterAll(async () => {
  await store.close();
  await temp.remove();
});

let run = 0;
beforeEach(async () => {
  await truncateSpoolTables(store);
  run += 1;
  spoolDir = join(temp.path, `spool-${run}`);
});

/** Delivers everything in the spool directory through a fresh Spool + Flusher, as a restarted server would. */
async function replay(sink: SpoolSink = createClickHouseSink(store), chunkRows?: number) {
  const spool = await Spool.open({ dir: spoolDir });
  const flusher = new Flusher({ spool, sink, ...(chunkRows ? { chunkRows } : {}) });
  // A single attempt: a failing sink stands for the process dying at that point.
  const result = await flusher.flush({ timeoutMs: 0 });
  await flusher.stop();
  await spool.close();
  return result;
}

/** Keeps a copy of every segment as it is before the flusher deletes it: "the crash came before unlink". */
async function snapshotSegments(): Promise<string[]> {
  const spool = await Spool.open({ dir: spoolDir });
  const sealed = await spool.seal();
  await spool.close();
  const backup = join(temp.path, `backup-${run}`);
  await mkdir(backup, { recursive: true });
  for (const segment of sealed) await copyFile(join(spoolDir, segment.name), join(backup, segment.name));
  return sealed.map((segment) => join(backup, segment.name));
}

async function restoreSegments(copies: string[]): Promise<void> {
  for (const copy of copies) await copyFile(copy, join(spoolDir, copy.split('/').pop()!));
}

async function appendRecords(ids: number[]): Promise<void> {
  const spool = await Spool.open({ dir: spoolDir });
  await Promise.all(ids.map((id) => spool.append(recordFor(id))));
  await spool.close();
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('replaying segments that were already inserted', () => {
  it('stores every row once and exactly as appended (UInt64 ids, DateTime from Unix seconds)', async () => {
    await appendRecords([1, 10]);
    await replay();
    const rows = await store.query<Record<string, unknown>>(
      "SELECT toUnixTimestamp(timestamp) AS ts, toString(user_id) AS user_id, prop_values FROM events ORDER BY pathname",
    );
    expect(rows).toEqual([
      { ts: eventRow(1).timestamp, user_id: eventRow(1).user_id.toString(), prop_values: [] },
      { ts: eventRow(10).timestamp, user_id: eventRow(10).user_id.toString(), prop_values: eventRow(10).prop_values },
    ]);
    expect(await countRows(store, 'sessions')).toBe(2);
  });

  it('inserts nothing twice when a segment comes back after it was flushed', async () => {
    await appendRecords(range(0, 300));
    const copies = await snapshotSegments();
    await replay();
    expect(await storedEventIds(store)).toEqual(range(0, 300));

    await restoreSegments(copies);
    const second = await replay();
    expect(second.flushed).toBe(true);
    expect(await storedEventIds(store)).toEqual(range(0, 300));
    expect(await storedSessionIds(store)).toEqual(range(0, 300));
  });

  it('(control) stores the replay twice when its tokens differ: the deduplication above is the token at work', async () => {
    await appendRecords(range(0, 20));
    const copies = await snapshotSegments();
    await replay();
    await restoreSegments(copies);
    const clickhouse = createClickHouseSink(store);
    const otherTokens: SpoolSink = {
      insertRows: (table, rows, options) => clickhouse.insertRows(table, rows, { deduplicationToken: `other:${options.deduplicationToken}` }),
    };
    await replay(otherTokens);
    expect(await countRows(store, 'events')).toBe(40);
  });

  it('inserts nothing twice when only some chunks of a segment had been confirmed', async () => {
    await appendRecords(range(0, 250));
    let inserts = 0;
    const clickhouse = createClickHouseSink(store);
    // Crashes (throws) after the second events chunk reached ClickHouse.
    const crashing: SpoolSink = {
      insertRows: async (table, rows, options: SinkInsertOptions) => {
        await clickhouse.insertRows(table, rows, options);
        if (table !== 'events') return;
        inserts += 1;
        if (inserts === 2) throw new Error('process died');
      },
    };
    const first = await replay(crashing, 100);
    expect(first.flushed).toBe(false);
    expect(await countRows(store, 'events')).toBe(200);

    await replay(createClickHouseSink(store), 100);
    expect(await storedEventIds(store)).toEqual(range(0, 250));
    expect(await storedSessionIds(store)).toEqual(range(0, 250));
  });

  it('still deduplicates after ClickHouse itself restarted (the deduplication log is on disk)', async () => {
    await appendRecords(range(0, 100));
    const copies = await snapshotSegments();
    await replay();

    await store.close();
    store = await openChdbStore({ path: chPath, database: 'analytics' });
    await restoreSegments(copies);
    await replay();
    expect(await storedEventIds(store)).toEqual(range(0, 100));
    expect(await storedSessionIds(store)).toEqual(range(0, 100));
  });

  it('does not mistake new rows for a replay when the spool directory was wiped and numbering restarted', async () => {
    await appendRecords(range(0, 50));
    await replay();
    // Same segment name (000000000001.seg) and chunk index as before, other rows: only the spool id differs.
    spoolDir = join(temp.path, `spool-${run}-wiped`);
    await appendRecords(range(50, 100));
    await replay();
    expect(await storedEventIds(store)).toEqual(range(0, 100));
  });
});
