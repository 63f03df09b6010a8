/**
 * npm run bench:seed — events/s of `db seed` into chDB, next to the plainest possible insert of the
 * same number of rows into the same table in the same process (the ceiling), as a ratio.
 */
import path from 'node:path';
import { loadMigrations, MIGRATIONS_ROOT } from '../src/lib/migrate/files.js';
import { clickhouseLedger } from '../src/lib/migrate/clickhouse-ledger.js';
import { postgresLedger } from '../src/lib/migrate/postgres-ledger.js';
import { migrateUp } from '../src/lib/migrate/runner.js';
import { seedDemoSite } from '../src/lib/seed/seed.js';
import { openStores } from '../src/lib/storage/open.js';
import { makeTempDir } from '../test/helpers/temp-dir.js';
import { writeBenchmarkSection } from './report.js';

const sizes = (process.env.BENCH_SEED_EVENTS ?? '1000000,3000000').split(',').map(Number);
const temp = await makeTempDir('analytics-bench-seed-');
const stores = await openStores({ dataDir: temp.path });
try {
  await migrateUp(postgresLedger(stores.postgres), loadMigrations(path.join(MIGRATIONS_ROOT, 'postgres')));
  await migrateUp(clickhouseLedger(stores.clickhouse), loadMigrations(path.join(MIGRATIONS_ROOT, 'clickhouse')));
  const rows: string[] = [];
  for (const [i, size] of sizes.entries()) {
    const seeded = await seedDemoSite(stores.postgres, stores.clickhouse, {
      domain: `bench${i}.example.com`,
      events: size,
      days: 365,
      seed: i + 1,
      replace: false,
    });
    const started = performance.now();
    await stores.clickhouse.command(
      `INSERT INTO events (timestamp, site_id, name, user_id, session_id, pathname)
       SELECT now() - number, 1000 + {i:UInt32}, 'pageview', number, number, '/' FROM numbers({n:UInt64})`,
      { n: seeded.events, i },
    );
    const plainMs = performance.now() - started;
    const plainRate = Math.round(seeded.events / (plainMs / 1000));
    rows.push(
      `| ${seeded.events.toLocaleString('en')} | ${seeded.sessions.toLocaleString('en')} | ${(seeded.durationMs / 1000).toFixed(2)} s | ${seeded.eventsPerSecond.toLocaleString('en')} | ${plainRate.toLocaleString('en')} | ${(seeded.eventsPerSecond / plainRate).toFixed(2)} |`,
    );
    console.error(rows.at(-1));
  }
  writeBenchmarkSection(
    'bench:seed',
    `Command: \`npm run bench:seed\` (sizes via \`BENCH_SEED_EVENTS=1000000,3000000\`), chDB in a temp dir, ${new Date().toISOString().slice(0, 10)}.
"seed" generates events over 365 days and builds their sessions; "plain insert" writes the same number of
constant-ish rows into the same table with \`INSERT ... SELECT FROM numbers(N)\` in the same process.

| events | sessions | seed time | seed events/s | plain insert rows/s | ratio |
|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}`,
  );
} finally {
  await stores.close();
  await temp.remove();
}
