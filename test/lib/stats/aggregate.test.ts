import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStatsFixture, TIMEZONE, type StatsFixture } from './fixtures/setup.js';
import { change, expectedAggregate, nextDate, windowOf, type Expected } from './fixtures/reference.js';

const ALL = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'events'] as const;

type Aggregate = { results: Record<string, { value: number; change?: number | null }> };

// now = 2026-03-30T10:00Z, the day after Europe/Berlin moved to summer time.
const PERIODS: { params: string; first: string; last: string }[] = [
  { params: 'period=day', first: '2026-03-30', last: '2026-03-30' },
  { params: 'period=day&date=2026-03-29', first: '2026-03-29', last: '2026-03-29' },
  { params: 'period=7d', first: '2026-03-24', last: '2026-03-30' },
  { params: 'period=30d', first: '2026-02-28', last: '2026-03-30' },
  { params: '', first: '2026-02-28', last: '2026-03-30' },
  { params: 'period=month', first: '2026-03-01', last: '2026-03-31' },
  { params: 'period=month&date=2026-02-10', first: '2026-02-01', last: '2026-02-28' },
  { params: 'period=6mo', first: '2025-10-01', last: '2026-03-31' },
  { params: 'period=12mo', first: '2025-04-01', last: '2026-03-31' },
  { params: 'period=7d&date=2025-12-31', first: '2025-12-25', last: '2025-12-31' },
  { params: 'period=custom&date=2025-12-20,2026-01-10', first: '2025-12-20', last: '2026-01-10' },
];

describe('aggregate (chDB, numbers computed from the raw events)', () => {
  let fx: StatsFixture;
  beforeAll(async () => {
    fx = await openStatsFixture();
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  const values = (body: Aggregate) => Object.fromEntries(Object.entries(body.results).map(([k, v]) => [k, v.value]));

  it('the dataset has enough of everything to be a test', () => {
    const site = fx.data.events.filter((e) => e.siteId === fx.site.id);
    expect(site.length).toBeGreaterThan(2000);
    expect(new Set(site.map((e) => e.userId)).size).toBeGreaterThan(200);
    // Ingestion wrote cancel rows: the sessions table holds several versions of most visits.
    expect(fx.data.sessionRows.filter((r) => r.sign === -1).length).toBeGreaterThan(500);
    expect(fx.visits.filter((v) => v.entryPage === '' && v.pageviews === 0).length + fx.visits.filter((v) => v.events[0]?.name !== 'pageview').length).toBeGreaterThan(10);
  });

  for (const period of PERIODS) {
    it(`every metric for ${period.params || 'the default period (30d)'}`, async () => {
      const body = await fx.ok<Aggregate>('aggregate', `${period.params}&metrics=${ALL.join(',')}`);
      const expected = expectedAggregate(fx.data.events, fx.visits, fx.site.id, windowOf(period.first, period.last, TIMEZONE));
      expect(expected.visitors, 'the period has traffic').toBeGreaterThan(0);
      expect(values(body)).toEqual(expected);
      expect(Object.keys(body.results)).toEqual([...ALL]);
    });
  }

  it('defaults to visitors only', async () => {
    const body = await fx.ok<Aggregate>('aggregate', 'period=7d');
    const expected = expectedAggregate(fx.data.events, fx.visits, fx.site.id, windowOf('2026-03-24', '2026-03-30', TIMEZONE));
    expect(body).toEqual({ results: { visitors: { value: expected.visitors } } });
  });

  for (const period of PERIODS.filter((p) => ['period=day', 'period=7d', 'period=30d', 'period=month', 'period=12mo'].includes(p.params))) {
    it(`compare=previous_period for ${period.params}: the same number of days just before`, async () => {
      const body = await fx.ok<Aggregate>('aggregate', `${period.params}&metrics=${ALL.join(',')}&compare=previous_period`);
      const days = Math.round((Date.parse(period.last) - Date.parse(period.first)) / 86_400_000) + 1;
      const now = expectedAggregate(fx.data.events, fx.visits, fx.site.id, windowOf(period.first, period.last, TIMEZONE));
      const before = expectedAggregate(
        fx.data.events,
        fx.visits,
        fx.site.id,
        windowOf(nextDate(period.first, -days), nextDate(period.last, -days), TIMEZONE),
      );
      expect(before.visitors, 'the previous period has traffic').toBeGreaterThan(0);
      for (const metric of ALL) {
        expect(body.results[metric], metric).toEqual({ value: now[metric as keyof Expected], change: change(metric, before[metric as keyof Expected], now[metric as keyof Expected]) });
      }
    });
  }

  it('uses the site time zone for day boundaries', async () => {
    for (const timezone of ['Etc/UTC', 'America/New_York', 'Asia/Kathmandu']) {
      const body = await fx.ok<Aggregate>('aggregate', 'period=day&date=2026-03-29&metrics=visitors,pageviews,visits', { ...fx.site, timezone });
      const e = expectedAggregate(fx.data.events, fx.visits, fx.site.id, windowOf('2026-03-29', '2026-03-29', timezone));
      expect(values(body), timezone).toEqual({ visitors: e.visitors, pageviews: e.pageviews, visits: e.visits });
    }
    const berlin = await fx.ok<Aggregate>('aggregate', 'period=day&date=2026-03-29&metrics=pageviews');
    const ny = await fx.ok<Aggregate>('aggregate', 'period=day&date=2026-03-29&metrics=pageviews', { ...fx.site, timezone: 'America/New_York' });
    expect(berlin.results.pageviews?.value, 'different zones see different days').not.toBe(ny.results.pageviews?.value);
  });

  it('never counts another site', async () => {
    const other = { id: fx.data.otherSiteId, domain: 'other.test', timezone: 'Etc/UTC' };
    const body = await fx.ok<Aggregate>('aggregate', 'period=30d&metrics=visitors,pageviews,visits', other);
    const e = expectedAggregate(fx.data.events, fx.visits, fx.data.otherSiteId, windowOf('2026-02-28', '2026-03-30', 'Etc/UTC'));
    expect(e.visitors).toBeGreaterThan(0);
    expect(values(body)).toEqual({ visitors: e.visitors, pageviews: e.pageviews, visits: e.visits });
  });

  it('realtime visitors: unique visitors with an event in the last 5 minutes', async () => {
    const since = fx.data.now.getTime() / 1000 - 300;
    const expected = new Set(
      fx.data.events.filter((e) => e.siteId === fx.site.id && e.ts >= since && e.ts <= since + 300).map((e) => e.userId),
    ).size;
    expect(expected).toBeGreaterThan(0);
    expect(await fx.ok('realtime/visitors', '')).toBe(expected);
  });
});
