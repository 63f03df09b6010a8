/**
 * The behaviour every ClickHouseStore must have, run against chDB, against @clickhouse/client (over
 * chDB's client connection, and over HTTP when CLICKHOUSE_URL is set). Not a test file by itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidIdentifierError, type ClickHouseStore } from '../../../src/lib/storage/clickhouse/index.js';
import { StoreQueryError } from '../../../src/lib/storage/errors.js';

const EVENTS_DDL = `
  CREATE TABLE IF NOT EXISTS events (
    site_id UInt64,
    user_id UInt64,
    name LowCardinality(String),
    pathname String,
    timestamp DateTime
  ) ENGINE = MergeTree
  ORDER BY (site_id, toDate(timestamp), name, user_id, timestamp)
  SETTINGS non_replicated_deduplication_window = 1000`;

function eventRows(count: number, offset = 0) {
  return Array.from({ length: count }, (_, i) => ({
    site_id: 1,
    user_id: (18446744073709551000n + BigInt(i + offset)).toString(),
    name: 'pageview',
    pathname: `/page/${i + offset}`,
    timestamp: '2024-05-01 12:00:00',
  }));
}

async function countOf(store: ClickHouseStore, table: string): Promise<number> {
  const [row] = await store.query<{ n: string }>(`SELECT count() AS n FROM ${table}`);
  return Number(row?.n);
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of source) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

export interface OpenedClickHouse {
  store: ClickHouseStore;
  cleanup(): Promise<void>;
}

export interface ContractOptions {
  /** Why binary (Native) input cannot go through this transport in tests, if it cannot. */
  nativeInsertUnsupported?: string;
}

export function describeClickHouseStoreContract(
  name: string,
  open: () => Promise<OpenedClickHouse>,
  options: ContractOptions = {},
): void {
  describe(name, () => {
    let opened: OpenedClickHouse;
    let store: ClickHouseStore;

    beforeAll(async () => {
      opened = await open();
      store = opened.store;
      await store.command(EVENTS_DDL);
    });
    afterAll(async () => {
      await opened?.cleanup();
    });

    it('uses the named database for unqualified table names', async () => {
      expect(await store.query('SELECT currentDatabase() AS db')).toEqual([{ db: store.database }]);
      const tables = await store.query<{ name: string }>(
        'SELECT name FROM system.tables WHERE database = {db:String}',
        { db: store.database },
      );
      expect(tables.map((t) => t.name)).toContain('events');
    });

    it('binds typed parameters server-side: quotes, backslashes and SQL in strings stay data', async () => {
      const hostile = `it's "quoted" \\ back\\slash'); DROP TABLE events; --\n{x:String}`;
      const [row] = await store.query<Record<string, unknown>>(
        `SELECT {s:String} AS s, length({s:String}) AS len, {n:UInt64} AS n, {list:Array(String)} AS list,
                {at:DateTime} AS at, {maybe:Nullable(String)} AS maybe`,
        { s: hostile, n: 18446744073709551615n, list: ["a'b", 'c'], at: '2024-05-01 12:00:00', maybe: null },
      );
      expect(row).toEqual({
        s: hostile,
        len: String(Buffer.byteLength(hostile)),
        n: '18446744073709551615',
        list: ["a'b", 'c'],
        at: '2024-05-01 12:00:00',
        maybe: null,
      });
      expect(await countOf(store, 'events')).toBeGreaterThanOrEqual(0);
    });

    it('returns 64-bit integers as strings (precision-safe, same as the HTTP server default)', async () => {
      const [row] = await store.query('SELECT toUInt64(9007199254740993) AS big, toUInt32(7) AS small');
      expect(row).toEqual({ big: '9007199254740993', small: 7 });
    });

    it('inserts a batch of rows', async () => {
      await store.command('TRUNCATE TABLE events');
      await store.insert('events', eventRows(500));
      expect(await countOf(store, 'events')).toBe(500);
      const [max] = await store.query<{ m: string }>('SELECT max(user_id) AS m FROM events');
      expect(max?.m).toBe((18446744073709551000n + 499n).toString());
    });

    it('inserts JS Dates and bigints as DateTime and UInt64', async () => {
      await store.command(
        'CREATE TABLE typed_values (at DateTime, id UInt64) ENGINE = MergeTree ORDER BY id',
      );
      await store.insert('typed_values', [{ at: new Date('2024-05-01T12:34:56.789Z'), id: 18446744073709551615n }]);
      expect(await store.query("SELECT toString(at, 'UTC') AS at, id FROM typed_values")).toEqual([
        { at: '2024-05-01 12:34:56', id: '18446744073709551615' },
      ]);
    });

    it('keeps one copy when the same batch is inserted twice with the same deduplication token', async () => {
      await store.command('TRUNCATE TABLE events');
      const batch = eventRows(100, 1000);
      await store.insert('events', batch, { deduplicationToken: 'batch-1' });
      await store.insert('events', batch, { deduplicationToken: 'batch-1' });
      expect(await countOf(store, 'events')).toBe(100);
      await store.insert('events', batch, { deduplicationToken: 'batch-2' });
      expect(await countOf(store, 'events')).toBe(200);
    });

    it('inserts encoded rows into the named columns, once per deduplication token, with extra settings', async () => {
      await store.command('TRUNCATE TABLE events');
      const body = Buffer.from(
        eventRows(300, 5000)
          .map((row) => JSON.stringify([row.user_id, row.pathname, row.timestamp, row.site_id]))
          .join('\n') + '\n',
      );
      const options = {
        deduplicationToken: "encoded-1 'quoted'",
        columns: ['user_id', 'pathname', 'timestamp', 'site_id'],
        settings: { input_format_parallel_parsing: 0, optimize_on_insert: 0 },
      };
      await store.insertEncoded('events', 'JSONCompactEachRow', body, options);
      await store.insertEncoded('events', 'JSONCompactEachRow', body, options);
      expect(await countOf(store, 'events')).toBe(300);
      // Columns left out take their defaults.
      expect(await store.query("SELECT name, pathname FROM events WHERE pathname = '/page/5299'")).toEqual([{ name: '', pathname: '/page/5299' }]);
      await store.insertEncoded('events', 'JSONCompactEachRow', body, { ...options, deduplicationToken: 'encoded-2' });
      expect(await countOf(store, 'events')).toBe(600);
    });

    it('refuses an encoded body ClickHouse cannot parse, storing none of it, and bad setting names', async () => {
      await store.command('TRUNCATE TABLE events');
      const body = Buffer.from('["1","/a","2024-05-01 12:00:00",1]\n["not a number","/b","2024-05-01 12:00:00",1]\n');
      const columns = ['user_id', 'pathname', 'timestamp', 'site_id'];
      await expect(store.insertEncoded('events', 'JSONCompactEachRow', body, { columns })).rejects.toBeInstanceOf(StoreQueryError);
      expect(await countOf(store, 'events')).toBe(0);
      await expect(
        store.insertEncoded('events', 'JSONCompactEachRow', body, { columns, settings: { 'max_threads = 1; DROP TABLE events --': 1 } }),
      ).rejects.toBeInstanceOf(InvalidIdentifierError);
    });

    const nativeSkip = options.nativeInsertUnsupported;
    it.skipIf(nativeSkip !== undefined)(
      `streams a table out in Native and back into another table with equal counts${nativeSkip ? ` (skipped: ${nativeSkip})` : ''}`,
      async () => {
        await store.command('TRUNCATE TABLE events');
        await store.insert('events', eventRows(20_000));
        await store.command('CREATE TABLE events_restored AS events');
        let chunks = 0;
        async function* exported() {
          for await (const chunk of store.stream('SELECT * FROM events', undefined, 'Native')) {
            chunks += 1;
            yield chunk;
          }
        }
        await store.insertStream('events_restored', 'Native', exported());
        expect(chunks).toBeGreaterThan(0);
        expect(await countOf(store, 'events_restored')).toBe(20_000);
        const checksum = 'SELECT sum(cityHash64(site_id, user_id, name, pathname, timestamp)) AS h FROM ';
        expect(await store.query(checksum + 'events_restored')).toEqual(await store.query(checksum + 'events'));
      },
    );

    it('streams with bound parameters and in JSONEachRow', async () => {
      const text = (
        await collect(
          store.stream(
            "SELECT pathname FROM (SELECT arrayJoin(['/page/7', '/other']) AS pathname) WHERE pathname = {p:String}",
            { p: '/page/7' },
            'JSONEachRow',
          ),
        )
      ).toString('utf8');
      expect(text.trim()).toBe('{"pathname":"/page/7"}');
    });

    it('stream-inserts line-delimited formats', async () => {
      await store.command('CREATE TABLE lines (id UInt32, label String) ENGINE = MergeTree ORDER BY id');
      async function* source() {
        yield Buffer.from('{"id":1,"label":"a"}\n{"id":2,');
        yield Buffer.from('"label":"b"}\n');
      }
      await store.insertStream('lines', 'JSONEachRow', source());
      expect(await store.query('SELECT id, label FROM lines ORDER BY id')).toEqual([
        { id: 1, label: 'a' },
        { id: 2, label: 'b' },
      ]);
    });

    it('lets a consumer stop a stream early and start another one', async () => {
      for await (const chunk of store.stream('SELECT number FROM numbers(5000000)', undefined, 'Native')) {
        expect(chunk.byteLength).toBeGreaterThan(0);
        break;
      }
      const all = await collect(store.stream('SELECT 1 AS one', undefined, 'JSONEachRow'));
      expect(all.toString('utf8').trim()).toBe('{"one":1}');
    });

    it('queues a second stream until the first finishes (chDB has one stream slot per session)', async () => {
      const [a, b] = await Promise.all([
        collect(store.stream('SELECT number FROM numbers(100000)', undefined, 'TabSeparated')),
        collect(store.stream('SELECT number FROM numbers(10)', undefined, 'TabSeparated')),
      ]);
      expect(a.toString('utf8').trim().split('\n')).toHaveLength(100_000);
      expect(b.toString('utf8').trim().split('\n')).toHaveLength(10);
    });

    it('reports failures as StoreQueryError with the ClickHouse code', async () => {
      await expect(store.query('SELECT * FROM no_such_table')).rejects.toMatchObject({
        name: 'StoreQueryError',
        code: '60',
      });
      const error = await store.command('SELEC 1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreQueryError);
      expect((error as StoreQueryError).code).toBe('62');
    });

    it('refuses table and format names that are not plain identifiers', async () => {
      await expect(store.insert('events; DROP TABLE events', [{ a: 1 }])).rejects.toBeInstanceOf(InvalidIdentifierError);
      await expect(collect(store.stream('SELECT 1', undefined, 'Native; DROP'))).rejects.toBeInstanceOf(
        InvalidIdentifierError,
      );
    });
  });
}
