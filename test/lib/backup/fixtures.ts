import { expect } from 'vitest';
import { createUser } from '../../../src/lib/accounts/users.js';
import { createApiKey } from '../../../src/lib/api-keys/keys.js';
import { clickhouseChecksum, listClickHouseTables } from '../../../src/lib/backup/clickhouse-data.js';
import { listTables, tableChecksum } from '../../../src/lib/backup/postgres-data.js';
import { migrateStores, statusOfStores } from '../../../src/lib/db/migrations.js';
import { seedDemoSite } from '../../../src/lib/seed/seed.js';
import { runStatsQuery, type StatsEndpoint } from '../../../src/lib/stats/index.js';
import { openStores, type OpenedStores, type OpenStoresOptions } from '../../../src/lib/storage/open.js';

/** Every table's row count and content checksum, plus numbers a dashboard shows, per store. */
export interface StoreSnapshot {
  postgres: Record<string, { rows: number; checksum: string }>;
  clickhouse: Record<string, { rows: number; checksum: string }>;
  stats: { visitors: string; pageviews: string; visits: string; bounceRate: string; topPage: string };
  /** Stats API v1 answers (runStatsQuery) for the seeded site, at a fixed "now". */
  statsApi: Record<string, unknown>;
  heads: { postgres: number; clickhouse: number };
  /** Postgres constraints and indexes (restore takes them off while loading and puts them back). */
  schema: string[];
}

export async function snapshot(stores: OpenedStores): Promise<StoreSnapshot> {
  const postgres: StoreSnapshot['postgres'] = {};
  for (const table of await listTables(stores.postgres)) postgres[table] = await tableChecksum(stores.postgres, table);
  const clickhouse: StoreSnapshot['clickhouse'] = {};
  for (const table of await listClickHouseTables(stores.clickhouse)) clickhouse[table.name] = await clickhouseChecksum(stores.clickhouse, table);
  const [events] = await stores.clickhouse.query<{ visitors: string; pageviews: string }>(
    `SELECT toString(uniq(user_id)) AS visitors, toString(countIf(name = 'pageview')) AS pageviews FROM events`,
  );
  const [sessions] = await stores.clickhouse.query<{ visits: string; bounce: string }>(
    `SELECT toString(sum(sign)) AS visits, toString(round(sum(is_bounce * sign) / greatest(sum(sign), 1), 4)) AS bounce FROM sessions`,
  );
  const [top] = await stores.clickhouse.query<{ pathname: string; n: string }>(
    `SELECT pathname, toString(count()) AS n FROM events WHERE name = 'pageview' GROUP BY pathname ORDER BY count() DESC, pathname LIMIT 1`,
  );
  const statsApi: Record<string, unknown> = {};
  const [site] = await stores.postgres.query<{ id: string; domain: string; timezone: string }>(
    `SELECT id, domain, timezone FROM sites WHERE domain = 'demo.example.com'`,
  );
  if (site) {
    const statsSite = { id: Number(site.id), domain: site.domain, timezone: site.timezone };
    for (const [endpoint, params] of STATS_QUERIES) {
      const answer = await runStatsQuery(stores, statsSite, endpoint, new URLSearchParams(params), { now: STATS_NOW });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      statsApi[`${endpoint}?${params}`] = answer.body;
    }
  }
  const constraints = await stores.postgres.query<{ line: string }>(
    `SELECT t.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid) AS line FROM pg_constraint k
     JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = 'public' AND k.contype <> 'n'`, // PostgreSQL 18 (PGlite) lists NOT NULL here too
  );
  const indexes = await stores.postgres.query<{ line: string }>(`SELECT indexdef AS line FROM pg_indexes WHERE schemaname = 'public'`);
  const status = await statusOfStores(stores, { store: 'all' });
  const head = (store: string) => status.stores.find((s) => s.store === store)?.head ?? 0;
  return {
    postgres,
    clickhouse,
    stats: {
      visitors: events?.visitors ?? '0',
      pageviews: events?.pageviews ?? '0',
      visits: sessions?.visits ?? '0',
      bounceRate: sessions?.bounce ?? '0',
      topPage: top ? `${top.pathname} ${top.n}` : '',
    },
    heads: { postgres: head('postgres'), clickhouse: head('clickhouse') },
    schema: [...constraints, ...indexes].map((r) => r.line).sort(),
    statsApi,
  };
}

/** One fixed "now" for the whole test run: the seeded traffic spans the 30 days before it. */
const STATS_NOW = new Date();
const STATS_QUERIES: [StatsEndpoint, string][] = [
  ['aggregate', 'period=30d&metrics=visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration,events'],
  ['timeseries', 'period=30d&metrics=visitors,pageviews'],
  ['breakdown', 'period=30d&property=visit:source&metrics=visitors,bounce_rate&limit=10'],
  ['breakdown', 'period=30d&property=event:page&metrics=visitors,pageviews&limit=10'],
  ['breakdown', 'period=30d&property=event:goal&metrics=visitors,conversion_rate'],
];

/** Migrated stores with a seeded site, a user with an API key, and events. */
export async function seedStores(options: OpenStoresOptions, events = 20_000): Promise<StoreSnapshot> {
  const stores = await openStores(options);
  try {
    await migrateStores(stores, { store: 'all' });
    await seedDemoSite(stores.postgres, stores.clickhouse, { domain: 'demo.example.com', events, days: 30, seed: 7, replace: false }, () => undefined);
    const user = await createUser(stores.postgres, { email: 'owner@example.com', name: 'Owner "Quote"\nNewline', password: 'correct horse battery', isAdmin: true });
    await createApiKey(stores.postgres, { userId: user.id, name: 'ci key' });
    await stores.postgres.query(`INSERT INTO goals (site_id, event_name, display_name) SELECT id, 'Signup', 'Sign-ups \\ backslash' FROM sites`);
    await stores.postgres.query(`INSERT INTO settings (key, value) VALUES ('k', '{"nested": [1, "two", null]}')`);
    // bytea, microseconds, date, text[] and NULLs: COPY text must come out the same from PostgreSQL 15 and PGlite (18).
    await stores.postgres.query(`INSERT INTO salts (salt, created_at) VALUES ('\\x00ff0a5c'::bytea, '2026-11-19 23:59:59.123456+00')`);
    await stores.postgres.query(
      `INSERT INTO sent_reports (site_id, period, period_start, period_end, status, delivered_to, last_error)
       SELECT id, 'week', '2026-11-09', '2026-11-15', 'failed', ARRAY['a@example.com', 'b "c"@example.com'], NULL FROM sites`,
    );
    return await snapshot(stores);
  } finally {
    await stores.close();
  }
}

export async function withOpenStores<T>(options: OpenStoresOptions, fn: (stores: OpenedStores) => Promise<T>): Promise<T> {
  const stores = await openStores(options);
  try {
    return await fn(stores);
  } finally {
    await stores.close();
  }
}
