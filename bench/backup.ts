/**
 * npm run bench:backup — in one run on the same seeded data:
 *  - Postgres: our backup (row snapshot → tar → zstd) and restore against `pg_dump -Fc` (default compression) and
 *    `pg_restore`, on a throwaway PostgreSQL 15 cluster;
 *  - ClickHouse: our export of `events` (checksum query + Native stream → tar → zstd + sha256) and import against a
 *    plain `SELECT * FROM events FORMAT Native` to a file and `INSERT ... FORMAT Native` from it, on chDB.
 * Sizes: BENCH_PG_ROWS (users and api_keys rows each, default 300000), BENCH_EVENTS (default 2000000).
 */
import { createWriteStream } from 'node:fs';
import { loadavg } from 'node:os';
import { stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import pg from 'pg';
import { ArchiveWriter, readArchive } from '../src/lib/backup/archive.js';
import { clickhouseRowCount, listClickHouseTables } from '../src/lib/backup/clickhouse-data.js';
import { defaultCompression } from '../src/lib/backup/codec.js';
import { dumpPostgres, foreignKeyOrder, loadTable, restoreSequences, useCanonicalText, withoutIndexes } from '../src/lib/backup/postgres-data.js';
import { migrateStores } from '../src/lib/db/migrations.js';
import { seedDemoSite } from '../src/lib/seed/seed.js';
import { openStores } from '../src/lib/storage/open.js';
import { openPgStore } from '../src/lib/storage/postgres/pg-store.js';
import { startPostgresCluster } from '../test/helpers/postgres-cluster.js';
import { makeTempDir } from '../test/helpers/temp-dir.js';
import { writeBenchmarkSection } from './report.js';

const PG_ROWS = Number(process.env.BENCH_PG_ROWS ?? 300_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000_000);
const MB = 1024 * 1024;

const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const result = await fn();
  return [result, (performance.now() - started) / 1000];
};

const temp = await makeTempDir('analytics-bench-backup-');
const cluster = await startPostgresCluster();
const admin = new pg.Client({ connectionString: cluster.url() });
await admin.connect();
for (const db of ['bench_src', 'bench_ours', 'bench_pgrestore']) await admin.query(`CREATE DATABASE ${db}`);
await admin.end();
const compression = defaultCompression();
const rows: string[] = [];
const loadAtStart = loadavg()[0]?.toFixed(1) ?? '?';

try {
  const stores = await openStores({ dataDir: path.join(temp.path, 'src'), databaseUrl: cluster.url('bench_src') });
  try {
    await migrateStores(stores, { store: 'all' });
    console.error(`seeding ${PG_ROWS} users + api keys and ${EVENTS} events`);
    await stores.postgres.exec(`
      INSERT INTO users (email, name, password_hash)
        SELECT 'user' || g || '@example.com', 'User ' || md5(g::text), 'scrypt$32768$8$1$' || md5(g::text) || md5((g * 7)::text) FROM generate_series(1, ${PG_ROWS}) g;
      INSERT INTO api_keys (user_id, name, key_prefix, key_hash)
        SELECT id, 'key ' || id, 'anl_' || substr(md5(id::text), 1, 8), decode(md5(id::text) || md5((id * 3)::text), 'hex') FROM users;
      ANALYZE;`);
    await seedDemoSite(stores.postgres, stores.clickhouse, { domain: 'bench.example.com', events: EVENTS, days: 365, seed: 3, replace: false }, () => undefined);

    // --- Postgres backup
    const [dbSize] = await stores.postgres.query<{ bytes: string }>(`SELECT pg_database_size('bench_src')::text AS bytes`);
    const dataMb = Number(dbSize?.bytes ?? 0) / MB;
    const pgDumpFile = path.join(temp.path, 'pg.dump');
    const [, pgDumpS] = await timed(() => execa('pg_dump', ['-Fc', '-f', pgDumpFile, cluster.url('bench_src')]));
    const oursPgFile = path.join(temp.path, `pg.tar.${compression}`);
    const [snapshot, oursPgS] = await timed(async () => {
      const writer = ArchiveWriter.create(oursPgFile, { compression });
      const dumped = await dumpPostgres(stores.postgres, (member, data) => writer.addMember(member, data).then(() => undefined), foreignKeyOrder);
      await writer.finish();
      return dumped;
    });
    const pgDumpBytes = (await stat(pgDumpFile)).size;
    const oursPgBytes = (await stat(oursPgFile)).size;
    rows.push(`| Postgres backup | \`pg_dump -Fc\` | ${(dataMb / pgDumpS).toFixed(1)} | ${(dataMb / oursPgS).toFixed(1)} | **${(pgDumpS / oursPgS).toFixed(2)}×** | ${(pgDumpBytes / MB).toFixed(1)} / ${(oursPgBytes / MB).toFixed(1)} MiB |`);
    console.error(rows.at(-1));

    // --- Postgres restore
    const [, pgRestoreS] = await timed(() => execa('pg_restore', ['--no-owner', '-d', cluster.url('bench_pgrestore'), pgDumpFile]));
    const target = await openPgStore({ url: cluster.url('bench_ours') });
    const [, oursRestoreS] = await timed(async () => {
      const targetStores = { ...stores, postgres: target };
      await migrateStores(targetStores, { store: 'postgres' });
      await target.transaction(async (tx) => {
        await useCanonicalText(tx);
        await withoutIndexes(tx, snapshot.tables.map((t) => t.name), async () => {
          for await (const member of readArchive(oursPgFile)) {
            const table = snapshot.tables.find((t) => t.member === member.name);
            if (table) await loadTable(tx, table.name, member.data, table.columns);
          }
        });
        await restoreSequences(tx, snapshot.sequences);
      });
    });
    await target.close();
    rows.push(`| Postgres restore | \`pg_restore\` | ${(dataMb / pgRestoreS).toFixed(1)} | ${(dataMb / oursRestoreS).toFixed(1)} | **${(pgRestoreS / oursRestoreS).toFixed(2)}×** | |`);
    console.error(rows.at(-1));

    // --- ClickHouse export of events
    const [table] = (await listClickHouseTables(stores.clickhouse)).filter((t) => t.name === 'events');
    const plainFile = path.join(temp.path, 'events.native');
    const [, plainS] = await timed(() => pipeline(Readable.from(stores.clickhouse.stream('SELECT * FROM events', undefined, 'Native')), createWriteStream(plainFile)));
    const nativeMb = (await stat(plainFile)).size / MB;
    const oursChFile = path.join(temp.path, `events.tar.${compression}`);
    const [, oursChS] = await timed(async () => {
      const writer = ArchiveWriter.create(oursChFile, { compression });
      await clickhouseRowCount(stores.clickhouse, table ?? { name: 'events', engine: 'MergeTree', final: false });
      await writer.addMember('clickhouse/events.native', stores.clickhouse.stream('SELECT * FROM events', undefined, 'Native'));
      await writer.finish();
    });
    const oursChBytes = (await stat(oursChFile)).size;
    rows.push(`| ClickHouse export (events) | plain \`FORMAT Native\` to a file | ${(nativeMb / plainS).toFixed(1)} | ${(nativeMb / oursChS).toFixed(1)} | **${(plainS / oursChS).toFixed(2)}×** | ${nativeMb.toFixed(1)} / ${(oursChBytes / MB).toFixed(1)} MiB |`);
    console.error(rows.at(-1));

    // --- ClickHouse import
    await stores.clickhouse.command('CREATE TABLE events_plain AS events');
    await stores.clickhouse.command('CREATE TABLE events_ours AS events');
    const [, plainInS] = await timed(() => stores.clickhouse.insertStream('events_plain', 'Native', createReadStream(plainFile)));
    const [, oursInS] = await timed(async () => {
      for await (const member of readArchive(oursChFile)) await stores.clickhouse.insertStream('events_ours', 'Native', member.data);
    });
    rows.push(`| ClickHouse import (events) | plain \`INSERT ... FORMAT Native\` from the file | ${(nativeMb / plainInS).toFixed(1)} | ${(nativeMb / oursInS).toFixed(1)} | **${(plainInS / oursInS).toFixed(2)}×** | |`);
    console.error(rows.at(-1));
  } finally {
    await stores.close();
  }

  writeBenchmarkSection(
    'bench:backup',
    `Command: \`npm run bench:backup\` (\`BENCH_PG_ROWS=${PG_ROWS}\` users and as many API keys, \`BENCH_EVENTS=${EVENTS}\`), ${new Date().toISOString().slice(0, 10)}.
Throwaway PostgreSQL 15 cluster (pg_dump/pg_restore 15) and chDB, same process, same seeded data, compression: ${compression}.
Load average when the run started: ${loadAtStart} on 2 cores (the machine is shared; repeated runs move by ±30 %).
MB/s: Postgres database size (\`pg_database_size\`) or the plain Native export's size, divided by the time.
Speed = baseline time / our time (> 1: ours is faster). Targets: Postgres backup ≥ 1× \`pg_dump -Fc\`; ClickHouse
export ≥ 0.5× the plain export. Our export includes the row count, sha256, tar framing and zstd; our Postgres backup
includes a second, server-side pass for the table checksum (sum of hashtextextended).

| what | baseline | baseline MB/s | ours MB/s | speed ours vs baseline | size baseline / ours |
|---|---|---:|---:|---:|---:|
${rows.join('\n')}`,
  );
} finally {
  await cluster.stop();
  await temp.remove();
}
