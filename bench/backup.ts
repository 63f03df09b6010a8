/**
 * npm run bench:backup — in one process on the same seeded data, BENCH_ROUNDS times (default 3), each
 * round measuring ours and the baseline back to back:
 *  - Postgres: our backup (COPY text in one snapshot → tar → zstd, row checksum on the way) and restore
 *    (COPY FROM without indexes and foreign keys, rebuilt after) against `pg_dump -Fc` (default compression)
 *    and `pg_restore`, on a throwaway PostgreSQL 15 cluster;
 *  - ClickHouse: our export of `events` (row count + Native stream → tar → zstd + sha256) and import against a
 *    plain `SELECT * FROM events FORMAT Native` to a file and `INSERT ... FORMAT Native` from it, on chDB.
 * Sizes: BENCH_PG_ROWS (users and api_keys rows each, default 300000), BENCH_EVENTS (default 2000000).
 * Reports per line the median speed ratio and the range over the rounds (the machine is shared and noisy).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
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
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const MB = 1024 * 1024;

const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const result = await fn();
  return [result, (performance.now() - started) / 1000];
};

/** One comparison over the rounds: seconds of the baseline and of ours, per round. */
interface Comparison {
  what: string;
  baseline: string;
  megabytes: number;
  baselineS: number[];
  oursS: number[];
  sizes?: string;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

function tableRow(c: Comparison): string {
  const ratios = c.baselineS.map((b, i) => b / (c.oursS[i] ?? Number.NaN));
  const range = `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
  return (
    `| ${c.what} | ${c.baseline} | ${(c.megabytes / median(c.baselineS)).toFixed(1)} | ${(c.megabytes / median(c.oursS)).toFixed(1)} | ` +
    `**${median(ratios).toFixed(2)}×** | ${range} | ${c.sizes ?? ''} |`
  );
}

const temp = await makeTempDir('analytics-bench-backup-');
const cluster = await startPostgresCluster();
const admin = new pg.Client({ connectionString: cluster.url() });
await admin.connect();
await admin.query('CREATE DATABASE bench_src');
const compression = defaultCompression();
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
    const [dbSize] = await stores.postgres.query<{ bytes: string }>(`SELECT pg_database_size('bench_src')::text AS bytes`);
    const dataMb = Number(dbSize?.bytes ?? 0) / MB;
    const [table] = (await listClickHouseTables(stores.clickhouse)).filter((t) => t.name === 'events');

    const pgBackup: Comparison = { what: 'Postgres backup', baseline: '`pg_dump -Fc`', megabytes: dataMb, baselineS: [], oursS: [] };
    const pgRestore: Comparison = { what: 'Postgres restore', baseline: '`pg_restore`', megabytes: dataMb, baselineS: [], oursS: [] };
    const chExport: Comparison = { what: 'ClickHouse export (events)', baseline: 'plain `FORMAT Native` to a file', megabytes: 0, baselineS: [], oursS: [] };
    const chImport: Comparison = {
      what: 'ClickHouse import (events)',
      baseline: 'plain `INSERT ... FORMAT Native` from the file',
      megabytes: 0,
      baselineS: [],
      oursS: [],
    };

    for (let round = 1; round <= ROUNDS; round += 1) {
      console.error(`round ${round} of ${ROUNDS} (load average ${loadavg()[0]?.toFixed(1)})`);
      // --- Postgres backup
      const pgDumpFile = path.join(temp.path, 'pg.dump');
      const [, pgDumpS] = await timed(() => execa('pg_dump', ['-Fc', '-f', pgDumpFile, cluster.url('bench_src')]));
      const oursPgFile = path.join(temp.path, `pg.tar.${compression}`);
      const [snapshot, oursPgS] = await timed(async () => {
        const writer = ArchiveWriter.create(oursPgFile, { compression });
        const dumped = await dumpPostgres(stores.postgres, (member, data) => writer.addMember(member, data).then(() => undefined), foreignKeyOrder);
        await writer.finish();
        return dumped;
      });
      pgBackup.baselineS.push(pgDumpS);
      pgBackup.oursS.push(oursPgS);
      pgBackup.sizes = `${((await stat(pgDumpFile)).size / MB).toFixed(1)} / ${((await stat(oursPgFile)).size / MB).toFixed(1)} MiB`;

      // --- Postgres restore (each into a new database; ours: the schema is migrated first, untimed)
      await admin.query(`CREATE DATABASE bench_pgrestore_${round}`);
      await admin.query(`CREATE DATABASE bench_ours_${round}`);
      const [, pgRestoreS] = await timed(() => execa('pg_restore', ['--no-owner', '-d', cluster.url(`bench_pgrestore_${round}`), pgDumpFile]));
      const target = await openPgStore({ url: cluster.url(`bench_ours_${round}`) });
      await migrateStores({ ...stores, postgres: target }, { store: 'postgres' });
      const [, oursRestoreS] = await timed(() =>
        target.transaction(async (tx) => {
          await useCanonicalText(tx);
          await withoutIndexes(tx, snapshot.tables.map((t) => t.name), async () => {
            for await (const member of readArchive(oursPgFile)) {
              const entry = snapshot.tables.find((t) => t.member === member.name);
              if (entry) await loadTable(tx, entry.name, member.data, entry.columns);
            }
          });
          await restoreSequences(tx, snapshot.sequences);
        }),
      );
      await target.close();
      pgRestore.baselineS.push(pgRestoreS);
      pgRestore.oursS.push(oursRestoreS);
      await rm(pgDumpFile);
      await rm(oursPgFile);

      // --- ClickHouse export of events
      const plainFile = path.join(temp.path, 'events.native');
      const [, plainS] = await timed(() =>
        pipeline(Readable.from(stores.clickhouse.stream('SELECT * FROM events', undefined, 'Native')), createWriteStream(plainFile)),
      );
      const nativeMb = (await stat(plainFile)).size / MB;
      const oursChFile = path.join(temp.path, `events.tar.${compression}`);
      const [, oursChS] = await timed(async () => {
        const writer = ArchiveWriter.create(oursChFile, { compression });
        await clickhouseRowCount(stores.clickhouse, table ?? { name: 'events', engine: 'MergeTree', final: false });
        await writer.addMember('clickhouse/events.native', stores.clickhouse.stream('SELECT * FROM events', undefined, 'Native'));
        await writer.finish();
      });
      chExport.megabytes = nativeMb;
      chExport.baselineS.push(plainS);
      chExport.oursS.push(oursChS);
      chExport.sizes = `${nativeMb.toFixed(1)} / ${((await stat(oursChFile)).size / MB).toFixed(1)} MiB`;

      // --- ClickHouse import
      await stores.clickhouse.command(`CREATE TABLE events_plain_${round} AS events`);
      await stores.clickhouse.command(`CREATE TABLE events_ours_${round} AS events`);
      const [, plainInS] = await timed(() => stores.clickhouse.insertStream(`events_plain_${round}`, 'Native', createReadStream(plainFile)));
      const [, oursInS] = await timed(async () => {
        for await (const member of readArchive(oursChFile)) await stores.clickhouse.insertStream(`events_ours_${round}`, 'Native', member.data);
      });
      chImport.megabytes = nativeMb;
      chImport.baselineS.push(plainInS);
      chImport.oursS.push(oursInS);
      await stores.clickhouse.command(`DROP TABLE events_plain_${round} SYNC`);
      await stores.clickhouse.command(`DROP TABLE events_ours_${round} SYNC`);
      await rm(plainFile);
      await rm(oursChFile);
      for (const c of [pgBackup, pgRestore, chExport, chImport]) {
        console.error(`  ${c.what}: ${((c.baselineS.at(-1) ?? 0) / (c.oursS.at(-1) ?? 1)).toFixed(2)}×`);
      }
    }
    const rows = [pgBackup, pgRestore, chExport, chImport].map(tableRow);
    console.error(rows.join('\n'));

    writeBenchmarkSection(
      'bench:backup',
      `Command: \`npm run bench:backup\` (\`BENCH_PG_ROWS=${PG_ROWS}\` users and as many API keys, \`BENCH_EVENTS=${EVENTS}\`, \`BENCH_ROUNDS=${ROUNDS}\`), ${new Date().toISOString().slice(0, 10)}.
Throwaway PostgreSQL 15 cluster (pg_dump/pg_restore 15) and chDB, same process, same seeded data, compression: ${compression}.
Each round measures the baseline and ours back to back; the table gives the median over ${ROUNDS} rounds and the range.
Load average when the run started: ${loadAtStart} on 2 cores (the machine is shared; single runs move by ±30 %).
MB/s: Postgres database size (\`pg_database_size\`) or the plain Native export's size, divided by the median time.
Speed = baseline time / our time (> 1: ours is faster). Targets: Postgres backup ≥ 1× \`pg_dump -Fc\`; ClickHouse
export ≥ 0.5× the plain export. Our Postgres backup is COPY text of every table in one snapshot, the row checksum
computed on the client as the bytes pass (no second read), tar framing, sha256 and zstd. Our Postgres restore is
COPY FROM into the migrated schema with its indexes and foreign keys taken off and rebuilt after, as pg_restore
does (the restore command's checksum comparison, one more read of each table, is not timed). Our ClickHouse export
includes the row count, sha256, tar framing and zstd.

| what | baseline | baseline MB/s | ours MB/s | speed ours vs baseline (median) | range | size baseline / ours |
|---|---|---:|---:|---:|---:|---:|
${rows.join('\n')}`,
    );
  } finally {
    await stores.close();
  }
} finally {
  await admin.end();
  await cluster.stop();
  await temp.remove();
}
