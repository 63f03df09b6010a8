/**
 * The promise of `202 Accepted`: a writer is SIGKILLed mid-burst; afterwards every id it acknowledged
 * is in ClickHouse exactly once, nothing is stored twice, and nothing is stored that was never sent.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClickHouseSink } from '../../../src/lib/spool/clickhouse-sink.js';
import { Flusher } from '../../../src/lib/spool/flusher.js';
import { Spool } from '../../../src/lib/spool/spool.js';
import { openChdbStore, type ClickHouseStore } from '../../../src/lib/storage/clickhouse/index.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { createSpoolTables, storedEventIds, storedSessionIds, truncateSpoolTables } from './fixtures/clickhouse.js';

const WRITER = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Acknowledged ids to wait for before each kill: different points of the burst. */
const KILL_POINTS = [500, 1_500, 3_000];

let temp: TempDir;
let store: ClickHouseStore;

beforeAll(async () => {
  temp = await makeTempDir('analytics-spool-sigkill-');
  store = await openChdbStore({ path: join(temp.path, 'ch'), database: 'analytics' });
  await createSpoolTables(store);
});
afterAll(async () => {
  await store.close();
  await temp.remove();
});

/** Runs the writer until it has acknowledged `acks` ids, SIGKILLs it, and returns every id it printed. */
async function writeUntilKilled(dir: string, acks: number): Promise<number[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acknowledged: number[] = [];
  let partialLine = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partialLine + chunk).split('\n');
    partialLine = lines.pop() ?? '';
    for (const line of lines) acknowledged.push(Number(line));
    if (acknowledged.length >= acks && child.exitCode === null && !child.killed) child.kill('SIGKILL');
  });
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  expect(signal, `writer exited by itself (code ${code}): ${stderr}`).toBe('SIGKILL');
  // A line cut in half by the kill was never completely acknowledged; it is not counted.
  return acknowledged;
}

it.each(KILL_POINTS)('keeps every acknowledged event exactly once across a SIGKILL after %i acks', async (killAfter) => {
  await truncateSpoolTables(store);
  const dir = join(temp.path, `spool-${killAfter}`);
  const acknowledged = await writeUntilKilled(dir, killAfter);
  expect(acknowledged.length).toBeGreaterThanOrEqual(killAfter);
  expect(new Set(acknowledged).size).toBe(acknowledged.length);

  const spool = await Spool.open({ dir });
  const recovered = spool.stats().pendingRecords;
  const flusher = new Flusher({ spool, sink: createClickHouseSink(store) });
  expect((await flusher.flush()).flushed).toBe(true);
  await flusher.stop();
  await spool.close();

  const events = await storedEventIds(store);
  const sessions = await storedSessionIds(store);
  // Appends are written in the order they were made, so what survived is a prefix 0..n-1 of the ids
  // sent: no gaps (nothing lost), no repeats (nothing twice), nothing beyond (never sent).
  expect(events).toEqual(Array.from({ length: events.length }, (_, id) => id));
  expect(sessions).toEqual(events);
  expect(events.length).toBe(recovered);
  const stored = new Set(events);
  expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  // Appends in flight at the kill may have reached the disk without being acknowledged: at most one batch.
  console.log(
    `SIGKILL: ${acknowledged.length} acknowledged, ${events.length} stored, ` +
      `${events.length - acknowledged.length} durable but unacknowledged`,
  );
});
