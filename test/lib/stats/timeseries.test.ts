import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStatsFixture, TIMEZONE, type StatsFixture } from './fixtures/setup.js';
import { eventNumbers, localMidnight, nextDate, visitNumbers, type Visit } from './fixtures/reference.js';
import type { RawEvent } from './fixtures/dataset.js';

type Row = Record<string, string | number>;
type Timeseries = { results: Row[] };

const METRICS = ['visitors', 'pageviews', 'events', 'visits', 'bounce_rate', 'visit_duration', 'views_per_visit'] as const;

/** Bucket labels the reference way: local wall-clock text from Intl, one label per event. */
function labeller(timezone: string, interval: 'date' | 'month' | 'hour') {
  const fmt = new Intl.DateTimeFormat('sv-SE', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    hourCycle: 'h23',
  });
  return (unix: number) => {
    const text = fmt.format(new Date(unix * 1000)); // "2026-03-29 03"
    if (interval === 'date') return text.slice(0, 10);
    if (interval === 'month') return `${text.slice(0, 7)}-01`;
    return `${text.slice(0, 13)}:00:00`;
  };
}

/** Per bucket: events by their time; visits by the time of their last event (Plausible's rule). */
function expectedSeries(fx: StatsFixture, labels: string[], from: number, to: number, timezone: string, interval: 'date' | 'month' | 'hour') {
  const label = labeller(timezone, interval);
  const events = fx.data.events.filter((e) => e.siteId === fx.site.id && e.ts >= from && e.ts < to);
  const visits = fx.visits.filter((v) => v.siteId === fx.site.id && v.end >= from && v.end < to && v.start >= from - 86_400);
  return labels.map((date) => {
    const ev: RawEvent[] = events.filter((e) => label(e.ts) === date);
    const vs: Visit[] = visits.filter((v) => label(v.end) === date);
    return { date, ...eventNumbers(ev), ...visitNumbers(vs) };
  });
}

function dates(first: string, last: string): string[] {
  const out: string[] = [];
  for (let d = first; d <= last; d = nextDate(d)) out.push(d);
  return out;
}

describe('timeseries (chDB, numbers computed from the raw events)', () => {
  let fx: StatsFixture;
  beforeAll(async () => {
    fx = await openStatsFixture();
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  const pick = (rows: Row[]) => rows.map((r) => Object.fromEntries(['date', ...METRICS].map((k) => [k, r[k]])));

  it('daily buckets for 30d (the default interval), every day present, zero-filled', async () => {
    const body = await fx.ok<Timeseries>('timeseries', `period=30d&metrics=${METRICS.join(',')}`);
    const labels = dates('2026-02-28', '2026-03-30');
    expect(body.results.map((r) => r.date)).toEqual(labels);
    const from = localMidnight('2026-02-28', TIMEZONE);
    const to = localMidnight('2026-03-31', TIMEZONE);
    expect(pick(body.results)).toEqual(expectedSeries(fx, labels, from, to, TIMEZONE, 'date'));
  });

  it('interval=date for 7d, month and a custom range; `day` is accepted too', async () => {
    for (const [params, first, last] of [
      ['period=7d&interval=date', '2026-03-24', '2026-03-30'],
      ['period=month&interval=day', '2026-03-01', '2026-03-31'],
      ['period=custom&date=2025-12-28,2026-01-03&interval=date', '2025-12-28', '2026-01-03'],
    ] as const) {
      const body = await fx.ok<Timeseries>('timeseries', `${params}&metrics=visitors,pageviews,visits`);
      const labels = dates(first, last);
      const expected = expectedSeries(fx, labels, localMidnight(first, TIMEZONE), localMidnight(nextDate(last), TIMEZONE), TIMEZONE, 'date');
      expect(body.results, params).toEqual(expected.map(({ date, visitors, pageviews, visits }) => ({ date, visitors, pageviews, visits })));
    }
  });

  it('monthly buckets for 12mo and 6mo (their default interval)', async () => {
    for (const [period, first] of [
      ['12mo', '2025-04-01'],
      ['6mo', '2025-10-01'],
    ] as const) {
      const body = await fx.ok<Timeseries>('timeseries', `period=${period}&metrics=${METRICS.join(',')}`);
      const labels: string[] = [];
      for (let d: string = first; d <= '2026-03-31'; d = `${nextDate(`${d.slice(0, 7)}-28`, 5).slice(0, 7)}-01`) labels.push(d);
      expect(labels.length).toBe(period === '12mo' ? 12 : 6);
      expect(body.results.map((r) => r.date)).toEqual(labels);
      const expected = expectedSeries(fx, labels, localMidnight(first, TIMEZONE), localMidnight('2026-04-01', TIMEZONE), TIMEZONE, 'month');
      expect(pick(body.results), period).toEqual(expected);
    }
  });

  it('interval=month on 30d gives the two months it touches', async () => {
    const body = await fx.ok<Timeseries>('timeseries', 'period=30d&interval=month&metrics=pageviews');
    expect(body.results.map((r) => r.date)).toEqual(['2026-02-01', '2026-03-01']);
    const expected = expectedSeries(fx, ['2026-02-01', '2026-03-01'], localMidnight('2026-02-28', TIMEZONE), localMidnight('2026-03-31', TIMEZONE), TIMEZONE, 'month');
    expect(body.results).toEqual(expected.map(({ date, pageviews }) => ({ date, pageviews })));
  });

  it('hourly buckets for a day (its default), including the 23-hour DST day in the site zone', async () => {
    const body = await fx.ok<Timeseries>('timeseries', `period=day&date=2026-03-29&metrics=${METRICS.join(',')}`);
    const from = localMidnight('2026-03-29', TIMEZONE);
    const to = localMidnight('2026-03-30', TIMEZONE);
    const label = labeller(TIMEZONE, 'hour');
    const labels = [...new Set(Array.from({ length: (to - from) / 3600 }, (_, i) => label(from + i * 3600)))];
    expect(labels.length, 'clocks skip 02:00 on that day').toBe(23);
    expect(labels).not.toContain('2026-03-29 02:00:00');
    expect(body.results.map((r) => r.date)).toEqual(labels);
    expect(pick(body.results)).toEqual(expectedSeries(fx, labels, from, to, TIMEZONE, 'hour'));
    expect(body.results.reduce((n, r) => n + (r.pageviews as number), 0)).toBeGreaterThan(0);
  });

  it('hourly buckets for 7d, and in a zone with a 45-minute offset', async () => {
    const seven = await fx.ok<Timeseries>('timeseries', 'period=7d&interval=hour&metrics=events');
    expect(seven.results.length).toBe(7 * 24 - 1);
    const kathmandu = { ...fx.site, timezone: 'Asia/Kathmandu' };
    const body = await fx.ok<Timeseries>('timeseries', 'period=day&date=2026-03-30&interval=hour&metrics=visitors,events', kathmandu);
    const from = localMidnight('2026-03-30', 'Asia/Kathmandu');
    const to = localMidnight('2026-03-31', 'Asia/Kathmandu');
    const label = labeller('Asia/Kathmandu', 'hour');
    const labels = Array.from({ length: 24 }, (_, i) => label(from + i * 3600));
    const expected = expectedSeries(fx, labels, from, to, 'Asia/Kathmandu', 'hour');
    expect(body.results).toEqual(expected.map(({ date, visitors, events }) => ({ date, visitors, events })));
  });

  it('filters apply to every bucket', async () => {
    const body = await fx.ok<Timeseries>('timeseries', 'period=7d&metrics=visitors,pageviews&filters=visit:source==Google;event:page==/blog**');
    const from = localMidnight('2026-03-24', TIMEZONE);
    const label = labeller(TIMEZONE, 'date');
    const matching = fx.data.events.filter(
      (e) => e.siteId === fx.site.id && e.ts >= from && e.source === 'Google' && /^\/blog.*$/.test(e.pathname),
    );
    expect(body.results).toEqual(
      dates('2026-03-24', '2026-03-30').map((date) => {
        const ev = matching.filter((e) => label(e.ts) === date);
        return { date, visitors: new Set(ev.map((e) => e.userId)).size, pageviews: ev.filter((e) => e.name === 'pageview').length };
      }),
    );
  });

  it('refuses hourly buckets beyond a week and unknown intervals with Plausible-style messages', async () => {
    expect(await fx.query('timeseries', 'period=30d&interval=hour')).toMatchObject({ status: 400 });
    expect(await fx.query('timeseries', 'period=30d&interval=week')).toEqual({
      status: 400,
      body: { error: 'Error parsing `interval` parameter: invalid interval `week`. Valid intervals are `date`, `day`, `month`, `hour`' },
    });
  });
});
