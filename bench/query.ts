/**
 * npm run bench:query — the dashboard's full set of Stats API queries through runStatsQuery on chDB with
 * 1M and 10M seeded events (365 days), for a 30-day and a 12-month period: median and p95 over repeated
 * loads, next to a plain `SELECT count() FROM events` timed in the same run.
 */
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { loadMigrations, MIGRATIONS_ROOT } from '../src/lib/migrate/files.js';
import { clickhouseLedger } from '../src/lib/migrate/clickhouse-ledger.js';
import { postgresLedger } from '../src/lib/migrate/postgres-ledger.js';
import { migrateUp } from '../src/lib/migrate/runner.js';
import { seedDemoSite } from '../src/lib/seed/seed.js';
import { runStatsQuery, type StatsEndpoint, type StatsSite } from '../src/lib/stats/index.js';
import { openStores, type OpenedStores } from '../src/lib/storage/open.js';
import { makeTempDir } from '../test/helpers/temp-dir.js';
import { writeBenchmarkSection } from './report.js';

const SIZES = (process.env.BENCH_QUERY_EVENTS ?? '1000000,10000000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_QUERY_RUNS ?? 15);
const WARMUP = 2;
const END = new Date();

/** What the dashboard asks for on one page load (Plausible's layout). */
const DASHBOARD: [StatsEndpoint, string][] = [
  ['aggregate', 'metrics=visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration&compare=previous_period'],
  ['timeseries', 'metrics=visitors'],
  ['breakdown', 'property=visit:source&limit=9'],
  ['breakdown', 'property=event:page&limit=9'],
  ['breakdown', 'property=visit:entry_page&limit=9'],
  ['breakdown', 'property=visit:exit_page&limit=9'],
  ['breakdown', 'property=visit:country&limit=9'],
  ['breakdown', 'property=visit:device&limit=9'],
  ['breakdown', 'property=visit:browser&limit=9'],
  ['breakdown', 'property=visit:os&limit=9'],
];

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
};
const ms = (x: number) => `${x.toFixed(0)} ms`;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** One dashboard load: every query at once, as the browser fires them; the load ends with the last. */
async function dashboardLoad(stores: OpenedStores, site: StatsSite, period: string): Promise<{ wall: number; cpu: number; perQuery: number[] }> {
  const perQuery: number[] = [];
  const cpuBefore = process.cpuUsage();
  const wall = await time(() =>
    Promise.all(
      DASHBOARD.map(async ([endpoint, params], i) => {
        const t = await time(async () => {
          const r = await runStatsQuery(stores, site, endpoint, new URLSearchParams(`${period}&${params}`), { now: END });
          if (r.status !== 200) throw new Error(`${endpoint}?${params}: ${JSON.stringify(r.body)}`);
        });
        perQuery[i] = t;
      }),
    ),
  );
  const cpu = process.cpuUsage(cpuBefore);
  return { wall, cpu: (cpu.user + cpu.system) / 1000, perQuery };
}

const temp = await makeTempDir('analytics-bench-query-');
const stores = await openStores({ dataDir: temp.path });
const rows: string[] = [];
const slowest: string[] = [];
const loadAverages: number[] = [];
const verdicts: string[] = [];
const TARGETS_MS: Record<string, number> = { '30 days': 300, '12 months': 1500 };
try {
  await migrateUp(postgresLedger(stores.postgres), loadMigrations(path.join(MIGRATIONS_ROOT, 'postgres')));
  await migrateUp(clickhouseLedger(stores.clickhouse), loadMigrations(path.join(MIGRATIONS_ROOT, 'clickhouse')));
  for (const [i, size] of SIZES.entries()) {
    console.error(`seeding ${size.toLocaleString('en')} events...`);
    const seeded = await seedDemoSite(stores.postgres, stores.clickhouse, {
      domain: `bench${i}.example.com`,
      events: size,
      days: 365,
      seed: i + 1,
      replace: false,
      end: END,
    });
    // Parts merged as a server would have them after a while (the seed writes in one go anyway).
    await stores.clickhouse.command('OPTIMIZE TABLE events FINAL');
    await stores.clickhouse.command('OPTIMIZE TABLE sessions FINAL');
    const [total] = await stores.clickhouse.query<{ n: string }>('SELECT count() AS n FROM events');
    const site: StatsSite = { id: seeded.site.id, domain: seeded.site.domain, timezone: 'Etc/UTC' };
    for (const [label, period] of [
      ['30 days', 'period=30d'],
      ['12 months', 'period=12mo'],
    ] as const) {
      const loads: number[] = [];
      const cpus: number[] = [];
      const counts: number[] = [];
      const scans: number[] = [];
      const perQuery: number[][] = DASHBOARD.map(() => []);
      for (let run = 0; run < WARMUP + RUNS; run++) {
        const load = await dashboardLoad(stores, site, period);
        const count = await time(() => stores.clickhouse.query('SELECT count() FROM events'));
        const scan = await time(() => stores.clickhouse.query('SELECT uniq(user_id) FROM events'));
        if (run < WARMUP) continue;
        loadAverages.push(loadavg()[0] ?? 0);
        loads.push(load.wall);
        cpus.push(load.cpu);
        counts.push(count);
        scans.push(scan);
        load.perQuery.forEach((t, q) => perQuery[q]?.push(t));
      }
      const median = quantile(loads, 0.5);
      const countMedian = quantile(counts, 0.5);
      if (size >= 10_000_000) {
        const target = TARGETS_MS[label] as number;
        const cpu = quantile(cpus, 0.5);
        verdicts.push(
          `- ${label} on ${seeded.events.toLocaleString('en')} events: target ${target} ms; wall median ${ms(median)} ` +
            `(${median <= target ? 'met' : 'missed'}); CPU median ${ms(cpu)}.`,
        );
      }
      const scanMedian = quantile(scans, 0.5);
      rows.push(
        `| ${seeded.events.toLocaleString('en')} | ${label} | ${ms(median)} | ${ms(quantile(loads, 0.95))} | ${ms(quantile(cpus, 0.5))} | ${countMedian.toFixed(1)} ms | ${ms(scanMedian)} | ${(median / scanMedian).toFixed(1)}× |`,
      );
      const worst = DASHBOARD.map(([endpoint, params], q) => ({ name: `${endpoint} ${params.split('&')[0]}`, t: quantile(perQuery[q] ?? [], 0.5) }))
        .sort((a, b) => b.t - a.t)
        .slice(0, 3)
        .map((w) => `${w.name} ${ms(w.t)}`)
        .join(', ');
      slowest.push(`- ${seeded.events.toLocaleString('en')} events, ${label}: ${worst}`);
      console.error(rows.at(-1), `(table: ${Number(total?.n).toLocaleString('en')} rows)`);
      console.error(slowest.at(-1));
    }
  }
  writeBenchmarkSection(
    'bench:query',
    `Command: \`npm run bench:query\` (\`BENCH_QUERY_EVENTS=1000000,10000000\`, \`BENCH_QUERY_RUNS=${RUNS}\`), chDB in a temp dir,
${new Date().toISOString().slice(0, 10)}. Each size is a site seeded by \`db seed\` over 365 days (the 10M site is added next to the 1M
one: the events table holds both). A dashboard load is the ${DASHBOARD.length} Stats API queries the dashboard sends, all at once
through \`runStatsQuery\`: top stats (6 metrics, compare=previous_period), the visitors graph, and the top 9 of sources,
pages, entry pages, exit pages, countries, devices, browsers and OS. Times are wall time of the whole load over ${RUNS} loads
(after ${WARMUP} warm-up loads); "CPU" is the process's CPU time during a load (chDB runs in-process), less
sensitive to other load on the machine than wall time. Baselines timed right after each load, whole table
(\`events\` holds ${SIZES.map((n) => n.toLocaleString('en')).join(' + ')} rows at the end): \`SELECT count() FROM events\`, which ClickHouse
answers from part metadata, and \`SELECT uniq(user_id) FROM events\`, the cheapest query that reads a column.

| events (site) | period | load median | load p95 | load CPU median | count() median | uniq scan median | load / uniq scan |
|---:|---|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

Slowest queries (median, inside a concurrent load):
${slowest.join('\n')}

Machine: ${cpus().length} cores shared with other work; 1-minute load average during the loads: median
${quantile(loadAverages, 0.5).toFixed(1)}, max ${Math.max(...loadAverages).toFixed(1)} (above ${cpus().length}, the queries wait for a core).

Targets: 30-day load on 10M events < 300 ms, 12 months < 1.5 s.
${verdicts.join('\n')}

Reading: the queries are exact (Plausible's \`uniq\`, no sampling) and scan every row of the period; the cost is
the distinct-visitor counting, about one full \`uniq(user_id)\` scan per query (pages and the graph scan events,
the visit properties the sessions table, a third of the rows). ${
      quantile(loadAverages, 0.5) > cpus().length
        ? 'During these runs other jobs kept every core busy, so wall time is roughly CPU time plus waiting for a core.'
        : 'The machine was otherwise idle during these runs.'
    }`,
  );
} finally {
  await stores.close();
  await temp.remove();
}
