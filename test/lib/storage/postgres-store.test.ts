import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreQueryError } from '../../../src/lib/storage/errors.js';
import { openPgStore, type PostgresStore } from '../../../src/lib/storage/postgres/index.js';
import { openTempPglite, type EmbeddedPostgres } from '../../helpers/embedded.js';
import { startPostgresCluster, type PostgresCluster } from '../../helpers/postgres-cluster.js';

interface Implementation {
  name: string;
  open(): Promise<{ store: PostgresStore; cleanup(): Promise<void> }>;
}

const implementations: Implementation[] = [
  {
    name: 'PGlite',
    async open() {
      const pglite: EmbeddedPostgres = await openTempPglite();
      return { store: pglite.store, cleanup: pglite.cleanup };
    },
  },
  {
    name: 'PostgreSQL (pg pool)',
    async open() {
      const cluster: PostgresCluster = await startPostgresCluster();
      const store = await openPgStore({ url: cluster.url(), poolSize: 4 });
      return {
        store,
        async cleanup() {
          await store.close();
          await cluster.stop();
        },
      };
    },
  },
];

describe.each(implementations)('PostgresStore on $name', ({ name, open }) => {
  let store: PostgresStore;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ store, cleanup } = await open());
    await store.exec(`
      CREATE TABLE sites (id bigserial PRIMARY KEY, domain text UNIQUE NOT NULL, settings jsonb, created_at timestamptz DEFAULT now());
      CREATE TABLE numbers (n int8 NOT NULL);
      INSERT INTO numbers SELECT g FROM generate_series(1, 2500) AS g;
    `);
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it('binds positional parameters, including text that looks like SQL', async () => {
    const hostile = `x'); DROP TABLE sites; --`;
    await store.query('INSERT INTO sites (domain, settings) VALUES ($1, $2)', [hostile, { public: true }]);
    const rows = await store.query<{ domain: string; settings: unknown }>(
      'SELECT domain, settings FROM sites WHERE domain = $1',
      [hostile],
    );
    expect(rows).toEqual([{ domain: hostile, settings: { public: true } }]);
  });

  it('returns the same value shapes on both implementations', async () => {
    const [row] = await store.query(
      `SELECT 9007199254740993::int8 AS big, 1.5::numeric AS num, 2::int4 AS small,
              '2024-01-02T03:04:05Z'::timestamptz AS at, ARRAY[1,2]::int8[] AS bigs, $1::int8 AS param`,
      [12345678901234567890n % 2n ** 63n],
    );
    expect(row).toEqual({
      big: '9007199254740993',
      num: '1.5',
      small: 2,
      at: new Date('2024-01-02T03:04:05Z'),
      bigs: ['1', '2'],
      param: (12345678901234567890n % 2n ** 63n).toString(),
    });
  });

  it('runs multi-statement SQL with exec', async () => {
    await store.exec('CREATE TABLE t_exec (a int); INSERT INTO t_exec VALUES (1), (2); INSERT INTO t_exec VALUES (3);');
    expect(await store.query('SELECT count(*)::int AS c FROM t_exec')).toEqual([{ c: 3 }]);
  });

  it('commits a transaction and rolls back a failed one', async () => {
    await store.transaction(async (tx) => {
      await tx.query('INSERT INTO sites (domain) VALUES ($1)', ['committed.example']);
    });
    await expect(
      store.transaction(async (tx) => {
        await tx.query('INSERT INTO sites (domain) VALUES ($1)', ['rolled-back.example']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const domains = (await store.query<{ domain: string }>('SELECT domain FROM sites')).map((r) => r.domain);
    expect(domains).toContain('committed.example');
    expect(domains).not.toContain('rolled-back.example');
  });

  it('keeps queries from other callers out of a running transaction', async () => {
    let insideTransaction!: () => void;
    const started = new Promise<void>((resolve) => (insideTransaction = resolve));
    const failing = store.transaction(async (tx) => {
      await tx.query('INSERT INTO sites (domain) VALUES ($1)', ['inside-failed-tx.example']);
      insideTransaction();
      await new Promise((resolve) => setTimeout(resolve, 100));
      throw new Error('abort transaction');
    });
    await started;
    // On PGlite (one connection) this waits for the transaction instead of joining it.
    const outside = store.query('INSERT INTO sites (domain) VALUES ($1)', ['outside.example']);
    await expect(failing).rejects.toThrow('abort transaction');
    await outside;
    const domains = (await store.query<{ domain: string }>('SELECT domain FROM sites')).map((r) => r.domain);
    expect(domains).toContain('outside.example');
    expect(domains).not.toContain('inside-failed-tx.example');
  });

  it('reports query failures as StoreQueryError with the SQLSTATE', async () => {
    await expect(store.query('SELECT * FROM no_such_table')).rejects.toMatchObject({
      name: 'StoreQueryError',
      code: '42P01',
    });
    await store.query('INSERT INTO sites (domain) VALUES ($1)', ['dup.example']);
    const error = await store.query('INSERT INTO sites (domain) VALUES ($1)', ['dup.example']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreQueryError);
    expect((error as StoreQueryError).code).toBe('23505');
  });

  it('holds an advisory lock for the section, lets it open transactions, and releases it', async () => {
    const key = 4242n;
    const heldInside = await store.withAdvisoryLock(key, async (conn) => {
      await conn.transaction(async (tx) => {
        await tx.query('INSERT INTO sites (domain) VALUES ($1)', ['locked.example']);
      });
      return conn.query<{ held: boolean }>(
        `SELECT count(*) > 0 AS held FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted`,
        [Number(key)],
      );
    });
    expect(heldInside).toEqual([{ held: true }]);
    const after = await store.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`);
    expect(after).toEqual([{ n: 0 }]);
    expect(await store.query('SELECT 1 AS ok FROM sites WHERE domain = $1', ['locked.example'])).toEqual([{ ok: 1 }]);
  });

  it('never overlaps two sections under the same advisory lock', async () => {
    const events: string[] = [];
    const section = (label: string) =>
      store.withAdvisoryLock(77, async (conn) => {
        events.push(`${label}:start`);
        await conn.query('SELECT pg_sleep(0.2)');
        events.push(`${label}:end`);
      });
    await Promise.all([section('a'), section('b')]);
    expect(events).toHaveLength(4);
    expect(events[0]?.split(':')[0]).toBe(events[1]?.split(':')[0]);
    expect(events[2]?.split(':')[0]).toBe(events[3]?.split(':')[0]);
  });

  it('releases the advisory lock when the section throws', async () => {
    await expect(store.withAdvisoryLock(78, async () => Promise.reject(new Error('fail inside')))).rejects.toThrow(
      'fail inside',
    );
    expect(await store.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`)).toEqual([{ n: 0 }]);
  });

  it('streams rows in batches through a cursor, with parameters', async () => {
    const sizes: number[] = [];
    let sum = 0n;
    for await (const batch of store.stream<{ n: string }>('SELECT n FROM numbers WHERE n > $1 ORDER BY n', [100], {
      batchSize: 1000,
    })) {
      sizes.push(batch.length);
      for (const row of batch) sum += BigInt(row.n);
    }
    expect(sizes).toEqual([1000, 1000, 400]);
    expect(sum).toBe(((2500n * 2501n) / 2n) - ((100n * 101n) / 2n));
  });

  it('stops a stream early and leaves the store usable', async () => {
    let batches = 0;
    for await (const batch of store.stream('SELECT n FROM numbers', [], { batchSize: 100 })) {
      expect(batch).toHaveLength(100);
      batches += 1;
      if (batches === 2) break;
    }
    expect(batches).toBe(2);
    expect(await store.query('SELECT count(*)::int AS c FROM numbers')).toEqual([{ c: 2500 }]);
    // The next stream can declare its cursor again: the first one was closed.
    let total = 0;
    for await (const batch of store.stream('SELECT n FROM numbers')) total += batch.length;
    expect(total).toBe(2500);
  });

  it('fails a stream of a bad query with StoreQueryError and stays usable', async () => {
    const consume = async () => {
      for await (const _ of store.stream('SELECT * FROM missing_table')) void _;
    };
    await expect(consume()).rejects.toMatchObject({ name: 'StoreQueryError', code: '42P01' });
    expect(await store.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  const collect = async (data: AsyncIterable<Uint8Array>) => {
    const chunks: Buffer[] = [];
    for await (const chunk of data) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks).toString('utf8');
  };
  const from = (...chunks: string[]) =>
    (async function* () {
      for (const chunk of chunks) yield Buffer.from(chunk);
    })();

  it('copies rows out and back in as COPY text, escapes included', async () => {
    await store.exec(`CREATE TABLE copied (id int8, note text, tags text[])`);
    const text = '1\tline\\nbreak \\\\ tab\\t\t{a,"b c"}\n2\t\\N\t\\N\n';
    expect(await store.copyIn('copied (id, note, tags)', from(text.slice(0, 7), text.slice(7)))).toBe(2);
    expect(await store.query('SELECT note, tags FROM copied ORDER BY id')).toEqual([
      { note: 'line\nbreak \\ tab\t', tags: ['a', 'b c'] },
      { note: null, tags: null },
    ]);
    expect(await collect(store.copyOut('copied (id, note, tags)'))).toBe(text);
    expect(await collect(store.copyOut('(SELECT n FROM numbers WHERE n > 2498 ORDER BY n)'))).toBe('2499\n2500\n');
    expect(await collect(store.copyOut('(SELECT 1 WHERE false)'))).toBe('');
  });

  it('copies inside a transaction, and stays usable after a consumer stops early', async () => {
    await store.transaction(async (tx) => {
      await tx.query('INSERT INTO numbers VALUES (1000000)');
      expect(await collect(tx.copyOut('(SELECT n FROM numbers WHERE n >= 2500 ORDER BY n)'))).toBe('2500\n1000000\n');
      for await (const chunk of tx.copyOut('(SELECT g, repeat($$x$$, 100) FROM generate_series(1, 200000) g)')) {
        expect(chunk.length).toBeGreaterThan(0);
        break;
      }
      expect(await tx.query('SELECT count(*)::int AS c FROM numbers')).toEqual([{ c: 2501 }]);
      await tx.query('DELETE FROM numbers WHERE n = 1000000');
    });
    for await (const chunk of store.copyOut('numbers')) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    expect(await store.query('SELECT count(*)::int AS c FROM numbers')).toEqual([{ c: 2500 }]);
  });

  it('fails a COPY of bad text or a failing source without loading anything, and stays usable', async () => {
    await store.exec(`CREATE TABLE copy_target (n int8)`);
    await expect(store.copyIn('copy_target (n)', from('1\n', 'two\n'))).rejects.toMatchObject({ name: 'StoreQueryError', code: '22P02' });
    const failing = (async function* () {
      yield Buffer.from('1\n');
      throw new Error('the archive broke');
    })();
    await expect(store.copyIn('copy_target (n)', failing)).rejects.toThrow('the archive broke');
    await expect(collect(store.copyOut('missing_table'))).rejects.toMatchObject({ name: 'StoreQueryError', code: '42P01' });
    expect(await store.query('SELECT count(*)::int AS c FROM copy_target')).toEqual([{ c: 0 }]);
  });

  it.runIf(name === 'PGlite')('streams inside a transaction on the single PGlite connection (PGlite only)', async () => {
    await store.transaction(async (tx) => {
      await tx.query('INSERT INTO numbers VALUES (1000000)');
      let seen = 0;
      for await (const batch of store.stream<{ n: string }>('SELECT n FROM numbers WHERE n >= $1', [2500])) {
        seen += batch.length;
      }
      expect(seen).toBe(2);
      await tx.query('DELETE FROM numbers WHERE n = 1000000');
    });
    expect(await store.query('SELECT count(*)::int AS c FROM numbers')).toEqual([{ c: 2500 }]);
  });
});
