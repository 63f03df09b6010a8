import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClickHouseSink } from '../../../src/lib/spool/clickhouse-sink.js';
import { encodeRows } from '../../../src/lib/spool/rows.js';
import { openChdbStore, type ClickHouseStore } from '../../../src/lib/storage/clickhouse/index.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { createSpoolTables } from './fixtures/clickhouse.js';
import { eventRow, sessionRow } from './fixtures/rows.js';

let temp: TempDir;
let store: ClickHouseStore;

beforeAll(async () => {
  temp = await makeTempDir('analytics-spool-sink-');
  store = await openChdbStore({ path: join(temp.path, 'ch'), database: 'analytics' });
  await createSpoolTables(store);
});
afterAll(async () => {
  await store.close();
  await temp.remove();
});

it('stores events and sessions with exact UInt64 ids and UTC times from Unix seconds', async () => {
  const sink = createClickHouseSink(store);
  const event = { ...eventRow(7), user_id: 18_446_744_073_709_551_615n, timestamp: 1_714_564_800 };
  await sink.insertRows('events', encodeRows('events', [event]), { deduplicationToken: 'sink-test:events:0' });
  await sink.insertRows('sessions', encodeRows('sessions', [{ ...sessionRow(7), sign: -1, version: 3 }]), { deduplicationToken: 'sink-test:sessions:0' });

  const [storedEvent] = await store.query(
    "SELECT toString(user_id) AS user_id, toUnixTimestamp(timestamp) AS ts, toString(timestamp, 'UTC') AS utc, country_code FROM events",
  );
  expect(storedEvent).toEqual({ user_id: '18446744073709551615', ts: 1_714_564_800, utc: '2024-05-01 12:00:00', country_code: 'DE' });
  const [storedSession] = await store.query('SELECT sign, toString(version) AS version, toString(session_id) AS session_id FROM sessions');
  expect(storedSession).toEqual({ sign: -1, version: '3', session_id: '7' });
});

it('stores a country code FixedString(2) cannot hold as unknown instead of failing the whole insert forever', async () => {
  const sink = createClickHouseSink(store);
  await sink.insertRows('events', encodeRows('events', [{ ...eventRow(8), country_code: 'DEU' }]), { deduplicationToken: 'sink-test:events:1' });
  const rows = await store.query<{ cc: string }>("SELECT toString(country_code) AS cc FROM events WHERE pathname = '/e/8'");
  expect(rows.map((row) => row.cc.replace(/\0/g, ''))).toEqual(['']);
});
