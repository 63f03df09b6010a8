/**
 * The demo traffic of `analytics db seed` (generated inside ClickHouse): the test reads the raw event rows
 * back and computes what the API must answer in TypeScript.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateStores } from '../../../src/lib/db/migrations.js';
import { seedDemoSite } from '../../../src/lib/seed/seed.js';
import { runStatsQuery, type StatsSite } from '../../../src/lib/stats/index.js';
import { openStores, type OpenedStores } from '../../../src/lib/storage/open.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import type { RawEvent } from './fixtures/dataset.js';
import { expectedAggregate, eventNumbers, sortRows, visitsOf, windowOf, type Visit } from './fixtures/reference.js';

const END = new Date('2026-06-15T18:00:00Z');

describe('stats of `db seed` traffic (chDB)', () => {
  let temp: TempDir;
  let stores: OpenedStores;
  let site: StatsSite;
  let events: RawEvent[];
  let visits: Visit[];
  const ok = async <T>(endpoint: 'aggregate' | 'timeseries' | 'breakdown', params: string): Promise<T> => {
    const r = await runStatsQuery(stores, site, endpoint, new URLSearchParams(params), { now: END });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as T;
  };

  beforeAll(async () => {
    temp = await makeTempDir('analytics-stats-seed-');
    stores = await openStores({ dataDir: join(temp.path, 'data') });
    await migrateStores(stores, { store: 'all' });
    const seeded = await seedDemoSite(stores.postgres, stores.clickhouse, { domain: 'seed.test', events: 60_000, days: 90, seed: 3, replace: false, end: END });
    site = { id: seeded.site.id, domain: 'seed.test', timezone: 'America/Los_Angeles' };
    const rows = await stores.clickhouse.query<Record<string, string>>(
      `SELECT toUnixTimestamp(timestamp) AS ts, name, toString(user_id) AS user_id, toString(session_id) AS session_id, pathname,
              referrer_source, country_code, device, browser, os FROM events WHERE site_id = {site:UInt64}`,
      { site: site.id },
    );
    events = rows.map((r) => ({
      siteId: site.id,
      ts: Number(r.ts),
      name: r.name as string,
      userId: BigInt(r.user_id as string),
      sessionId: BigInt(r.session_id as string),
      pathname: r.pathname as string,
      source: r.referrer_source as string,
      country: (r.country_code as string).replaceAll('\0', ''),
      device: r.device as string,
      browser: r.browser as string,
      os: r.os as string,
      referrer: '',
      utmSource: '',
      utmMedium: '',
      utmCampaign: '',
      utmContent: '',
      utmTerm: '',
      browserVersion: '',
      osVersion: '',
      props: {},
    }));
    visits = visitsOf(events);
  });
  afterAll(async () => {
    await stores?.close();
    await temp?.remove();
  });

  it('aggregate: every metric for 7d, 30d and month in the site zone', async () => {
    expect(events.length).toBeGreaterThan(50_000);
    for (const [period, first, last] of [
      ['7d', '2026-06-09', '2026-06-15'],
      ['30d', '2026-05-16', '2026-06-15'],
      ['month&date=2026-05-01', '2026-05-01', '2026-05-31'],
    ] as const) {
      const body = await ok<{ results: Record<string, { value: number }> }>(
        'aggregate',
        `period=${period}&metrics=visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration,events`,
      );
      const e = expectedAggregate(events, visits, site.id, windowOf(first, last, site.timezone));
      expect(Object.fromEntries(Object.entries(body.results).map(([k, v]) => [k, v.value])), period).toEqual({
        visitors: e.visitors,
        visits: e.visits,
        pageviews: e.pageviews,
        views_per_visit: e.views_per_visit,
        bounce_rate: e.bounce_rate,
        visit_duration: e.visit_duration,
        events: e.events,
      });
    }
  });

  it('breakdown by source and filters on country and page', async () => {
    const w = windowOf('2026-05-16', '2026-06-15', site.timezone);
    const inWindow = events.filter((e) => e.ts >= w.from && e.ts < w.to && ['US', 'DE'].includes(e.country) && e.pathname.startsWith('/blog'));
    const groups = new Map<string, RawEvent[]>();
    for (const e of inWindow) groups.set(e.source || 'Direct / None', [...(groups.get(e.source || 'Direct / None') ?? []), e]);
    const expected = sortRows([...groups].map(([source, ev]) => ({ source, ...eventNumbers(ev) })), 'source', 'visitors');
    const body = await ok<{ results: Record<string, unknown>[] }>(
      'breakdown',
      `period=30d&property=visit:source&metrics=visitors,pageviews,events&filters=${encodeURIComponent('visit:country==US|DE;event:page==/blog**')}`,
    );
    expect(body.results).toEqual(expected);
  });

  it('timeseries: pageviews per day', async () => {
    const body = await ok<{ results: { date: string; pageviews: number }[] }>('timeseries', 'period=7d&metrics=pageviews');
    const day = new Intl.DateTimeFormat('sv-SE', { timeZone: site.timezone, year: 'numeric', month: '2-digit', day: '2-digit' });
    const w = windowOf('2026-06-09', '2026-06-15', site.timezone);
    const counts = new Map<string, number>();
    for (const e of events) {
      if (e.ts < w.from || e.ts >= w.to || e.name !== 'pageview') continue;
      const d = day.format(new Date(e.ts * 1000));
      counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    expect(body.results.map((r) => r.date)).toEqual(['2026-06-09', '2026-06-10', '2026-06-11', '2026-06-12', '2026-06-13', '2026-06-14', '2026-06-15']);
    expect(body.results).toEqual(body.results.map((r) => ({ date: r.date, pageviews: counts.get(r.date) ?? 0 })));
    expect(body.results.reduce((n, r) => n + r.pageviews, 0)).toBeGreaterThan(1000);
  });
});
