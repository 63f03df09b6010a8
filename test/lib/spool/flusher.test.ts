/** The flusher against real chDB: triggers, a sink that is down for a while, shutdown. */
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClickHouseSink } from '../../../src/lib/spool/clickhouse-sink.js';
import { SpoolFullError } from '../../../src/lib/spool/errors.js';
import { Flusher } from '../../../src/lib/spool/flusher.js';
import type { SpoolSink } from '../../../src/lib/spool/sink.js';
import { Spool } from '../../../src/lib/spool/spool.js';
import { openChdbStore, type ClickHouseStore } from '../../../src/lib/storage/clickhouse/index.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { countRows, createSpoolTables, storedEventIds, storedSessionIds, truncateSpoolTables } from './fixtures/clickhouse.js';
import { recordFor } from './fixtures/rows.js';

let temp: TempDir;
let store: ClickHouseStore;
let spoolDir: string;
let run = 0;

beforeAll(async () => {
  temp = await makeTempDir('analytics-spool-flusher-');
  store = await openChdbStore({ path: join(temp.path, 'ch'), database: 'analytics' });
  await createSpoolTables(store);
});
afterAll(async () => {
  await store.close();
  await temp.remove();
});
beforeEach(async () => {
  await truncateSpoolTables(store);
  run += 1;
  spoolDir = join(temp.path, `spool-${run}`);
});

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** ClickHouse that is unreachable for the first `failures` inserts (the insert may even have landed: `landed`). */
function flakySink(failures: number, options: { landed?: boolean } = {}) {
  const clickhouse = createClickHouseSink(store);
  const state = { calls: 0, failed: 0 };
  const maybeFail = async (insert: () => Promise<void>) => {
    state.calls += 1;
    if (state.failed < failures) {
      state.failed += 1;
      // Lost answer: the rows were stored, the flusher never heard so.
      if (options.landed) await insert();
      throw new Error('connect ECONNREFUSED 127.0.0.1:8123');
    }
    await insert();
  };
  const sink: SpoolSink = {
    insertRows: (table, rows, insertOptions) => maybeFail(() => clickhouse.insertRows(table, rows, insertOptions)),
  };
  return { sink, state };
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('Flusher', () => {
  it('flushes every intervalMs', async () => {
    const spool = await Spool.open({ dir: spoolDir });
    const flusher = new Flusher({ spool, sink: createClickHouseSink(store), intervalMs: 50 }).start();
    await Promise.all(range(0, 100).map((id) => spool.append(recordFor(id))));
    await until(async () => (await countRows(store, 'events')) === 100);
    await until(() => spool.stats().pendingRecords === 0);
    expect(flusher.status()).toMatchObject({ consecutiveFailures: 0, flushedEvents: 100, flushedSessions: 100 });
    expect(flusher.status().lastFlushAt).toBeDefined();
    await flusher.stop();
    await spool.close();
  });

  it('flushes as soon as maxRows rows are pending, long before the interval', async () => {
    const spool = await Spool.open({ dir: spoolDir });
    const flusher = new Flusher({ spool, sink: createClickHouseSink(store), intervalMs: 3_600_000, maxRows: 100 });
    flusher.start();
    await until(() => flusher.status().lastFlushAt !== undefined); // the startup replay (nothing to do)
    await Promise.all(range(0, 60).map((id) => spool.append(recordFor(id)))); // 120 rows: events + sessions
    await until(async () => (await countRows(store, 'events')) === 60, 5_000);
    await flusher.stop();
    await spool.close();
  });

  it('does not run a second cycle for the few rows that arrived while a row-triggered one inserted', async () => {
    const clickhouse = createClickHouseSink(store);
    let releaseInsert: () => void = () => undefined;
    const insertReleased = new Promise<void>((resolve) => {
      releaseInsert = resolve;
    });
    let inserting = false;
    const slowSink: SpoolSink = {
      insertRows: async (table, rows, options) => {
        inserting = true;
        await insertReleased;
        await clickhouse.insertRows(table, rows, options);
      },
    };
    const spool = await Spool.open({ dir: spoolDir });
    const flusher = new Flusher({ spool, sink: slowSink, intervalMs: 3_600_000, maxRows: 100 }).start();
    await until(() => flusher.status().lastFlushAt !== undefined); // the startup replay (nothing to do)
    await Promise.all(range(0, 60).map((id) => spool.append(recordFor(id)))); // 120 rows: triggers a cycle
    await until(() => inserting);
    await Promise.all(range(60, 70).map((id) => spool.append(recordFor(id)))); // 20 rows while it inserts
    releaseInsert();
    await until(() => flusher.status().flushedEvents === 60);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(flusher.status().flushedSegments).toBe(1);
    expect(spool.stats().pendingRecords).toBe(10); // left for the interval or the next 100 rows
    expect(await storedEventIds(store)).toEqual(range(0, 60));
    expect(await flusher.flush()).toEqual({ flushed: true, pendingRecords: 0 });
    expect(await storedEventIds(store)).toEqual(range(0, 70));
    await flusher.stop();
    await spool.close();
  });

  it('counts segments sealed by size toward maxRows, so large records are not left for the interval', async () => {
    const spool = await Spool.open({ dir: spoolDir, segmentBytes: 4096 }); // a few records per segment
    const flusher = new Flusher({ spool, sink: createClickHouseSink(store), intervalMs: 3_600_000, maxRows: 100 }).start();
    await until(() => flusher.status().lastFlushAt !== undefined); // the startup replay (nothing to do)
    for (let id = 0; id < 60; id += 1) await spool.append(recordFor(id)); // 120 rows, no segment holds 100
    await until(async () => (await countRows(store, 'events')) >= 50, 5_000);
    await flusher.flush();
    expect(await storedEventIds(store)).toEqual(range(0, 60));
    await flusher.stop();
    await spool.close();
  });

  it('replays segments left by a previous process as soon as it starts', async () => {
    const previous = await Spool.open({ dir: spoolDir });
    await Promise.all(range(0, 40).map((id) => previous.append(recordFor(id))));
    await previous.close();

    const spool = await Spool.open({ dir: spoolDir });
    const flusher = new Flusher({ spool, sink: createClickHouseSink(store), intervalMs: 3_600_000 }).start();
    await until(() => spool.stats().pendingRecords === 0);
    expect(await storedEventIds(store)).toEqual(range(0, 40));
    await flusher.stop();
    await spool.close();
  });

  it('while ClickHouse is down: retries with backoff, the spool grows, then drains with nothing lost or doubled', async () => {
    const { sink, state } = flakySink(4, { landed: true });
    const errors: unknown[] = [];
    const spool = await Spool.open({ dir: spoolDir });
    const flusher = new Flusher({
      spool,
      sink,
      intervalMs: 20,
      retry: { initialDelayMs: 50, maxDelayMs: 200 },
      onError: (error) => errors.push(error),
    }).start();

    await Promise.all(range(0, 100).map((id) => spool.append(recordFor(id))));
    await until(() => flusher.status().consecutiveFailures >= 1);
    const during = flusher.status();
    expect(during.lastError?.message).toContain('ECONNREFUSED');
    expect(during.nextRetryAt).toBeDefined();
    expect(during.lagMs).toBeGreaterThanOrEqual(0);
    const grownFrom = spool.stats().pendingBytes;
    await Promise.all(range(100, 200).map((id) => spool.append(recordFor(id))));
    expect(spool.stats().pendingBytes).toBeGreaterThan(grownFrom);

    await until(() => spool.stats().pendingRecords === 0);
    expect(state.failed).toBe(4);
    expect(errors).toHaveLength(4);
    expect(flusher.status()).toMatchObject({ consecutiveFailures: 0 });
    expect(flusher.status().lastFlushAt).toBeGreaterThan(flusher.status().lastError!.at);
    expect(await storedEventIds(store)).toEqual(range(0, 200));
    expect(await storedSessionIds(store)).toEqual(range(0, 200));
    await flusher.stop();
    await spool.close();
  });

  it('answers SpoolFullError once the outage fills maxBytes, drops nothing accepted, and accepts again after the drain', async () => {
    const { sink } = flakySink(Number.POSITIVE_INFINITY);
    const spool = await Spool.open({ dir: spoolDir, maxBytes: 64 * 1024 });
    const down = new Flusher({ spool, sink, intervalMs: 10, retry: { initialDelayMs: 10, maxDelayMs: 20 } }).start();

    const accepted: number[] = [];
    let refusal: unknown;
    for (let id = 0; refusal === undefined; id += 1) {
      await spool.append(recordFor(id)).then(
        () => accepted.push(id),
        (error: unknown) => (refusal = error),
      );
    }
    expect(refusal).toBeInstanceOf(SpoolFullError);
    expect(spool.stats().usedRatio).toBeGreaterThan(0.95);
    await down.stop();

    // ClickHouse is back.
    const up = new Flusher({ spool, sink: createClickHouseSink(store) });
    expect(await up.flush()).toMatchObject({ flushed: true, pendingRecords: 0 });
    expect(await storedEventIds(store)).toEqual(accepted);
    await expect(spool.append(recordFor(accepted.length))).resolves.toBeUndefined();
    await spool.close();
  });

  it('flush() on shutdown gives up at its timeout while ClickHouse is down, and the next start delivers it all', async () => {
    const { sink } = flakySink(Number.POSITIVE_INFINITY);
    const spool = await Spool.open({ dir: spoolDir });
    await Promise.all(range(0, 30).map((id) => spool.append(recordFor(id))));
    const flusher = new Flusher({ spool, sink, retry: { initialDelayMs: 20, maxDelayMs: 40 } });
    const result = await flusher.flush({ timeoutMs: 150 });
    expect(result).toMatchObject({ flushed: false, pendingRecords: 30 });
    expect(result.lastError).toContain('ECONNREFUSED');
    await flusher.stop();
    await spool.close();

    const restarted = await Spool.open({ dir: spoolDir });
    const next = new Flusher({ spool: restarted, sink: createClickHouseSink(store) });
    expect(await next.flush()).toMatchObject({ flushed: true, pendingRecords: 0 });
    expect(await storedEventIds(store)).toEqual(range(0, 30));
    await restarted.close();
  });
});
