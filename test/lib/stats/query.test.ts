import { describe, expect, it } from 'vitest';
import { parseStatsQuery, StatsQueryError, type StatsEndpoint } from '../../../src/lib/stats/index.js';
import { globToRegex } from '../../../src/lib/stats/filters.js';

const site = { id: 1, domain: 'example.com', timezone: 'Europe/Berlin' };
// 23:30 UTC on 31 Dec is already 1 Jan in Berlin: "today" is the site's.
const now = new Date('2025-12-31T23:30:00Z');
const parse = (endpoint: StatsEndpoint, params: string) => parseStatsQuery(site, endpoint, new URLSearchParams(params), now);
const error = (endpoint: StatsEndpoint, params: string) => {
  try {
    parse(endpoint, params);
  } catch (e) {
    if (e instanceof StatsQueryError) return e.message;
    throw e;
  }
  throw new Error(`${endpoint}?${params} was accepted`);
};

describe('Stats API v1 parameters', () => {
  it('computes each period in the site time zone, as Plausible v1 does', () => {
    const range = (p: string) => parse('aggregate', p).range;
    expect(range('period=day')).toEqual({ first: '2026-01-01', last: '2026-01-01' });
    expect(range('period=day&date=2024-02-29')).toEqual({ first: '2024-02-29', last: '2024-02-29' });
    expect(range('period=7d')).toEqual({ first: '2025-12-26', last: '2026-01-01' });
    expect(range('period=30d')).toEqual({ first: '2025-12-02', last: '2026-01-01' });
    expect(range('')).toEqual({ first: '2025-12-02', last: '2026-01-01' });
    expect(range('period=month&date=2024-02-10')).toEqual({ first: '2024-02-01', last: '2024-02-29' });
    expect(range('period=6mo&date=2024-08-31')).toEqual({ first: '2024-03-01', last: '2024-08-31' });
    expect(range('period=12mo')).toEqual({ first: '2025-02-01', last: '2026-01-31' });
    expect(range('period=custom&date=2024-01-05, 2024-03-01')).toEqual({ first: '2024-01-05', last: '2024-03-01' });
  });

  it('picks the default interval of each period', () => {
    const interval = (p: string) => parse('timeseries', p).interval;
    expect(interval('period=day')).toBe('hour');
    expect(interval('period=7d')).toBe('date');
    expect(interval('period=month')).toBe('date');
    expect(interval('period=6mo')).toBe('month');
    expect(interval('period=12mo')).toBe('month');
    expect(interval('period=30d&interval=day')).toBe('date');
  });

  it('reads metrics, compare, limit and page with their defaults', () => {
    expect(parse('aggregate', '').metrics).toEqual(['visitors']);
    expect(parse('aggregate', 'metrics=pageviews,visit_duration&compare=previous_period')).toMatchObject({
      metrics: ['pageviews', 'visit_duration'],
      compare: true,
    });
    expect(parse('aggregate', 'compare=year_over_year').compare).toBe(false);
    expect(parse('breakdown', 'property=visit:source')).toMatchObject({ limit: 100, page: 1 });
    expect(parse('breakdown', 'property=visit:source&limit=1000&page=7')).toMatchObject({ limit: 1000, page: 7 });
  });

  it("answers bad parameters with Plausible's messages", () => {
    expect(error('aggregate', 'period=week')).toBe(
      'Error parsing `period` parameter: invalid period `week`. Please find accepted values in our docs: https://plausible.io/docs/stats-api#time-periods',
    );
    expect(error('aggregate', 'period=day&date=yesterday')).toBe(
      'Error parsing `date` parameter: invalid_format. Please specify a valid date in ISO-8601 format.',
    );
    expect(error('aggregate', 'period=day&date=2025-02-30')).toBe(
      'Error parsing `date` parameter: invalid_date. Please specify a valid date in ISO-8601 format.',
    );
    expect(error('aggregate', 'period=custom')).toBe(
      'The `date` parameter is required when using a custom period. See https://plausible.io/docs/stats-api#time-periods',
    );
    for (const date of ['2024-01-01', '2024-01-01,nope', '2024-03-01,2024-01-01']) {
      expect(error('aggregate', `period=custom&date=${date}`)).toBe(
        'Invalid format for `date` parameter. When using a custom period, please include two ISO-8601 formatted dates joined by a comma. See https://plausible.io/docs/stats-api#time-periods',
      );
    }
    expect(error('aggregate', 'metrics=visitors,nope')).toBe(
      'The metric `nope` is not recognized. Find valid metrics from the documentation: https://plausible.io/docs/stats-api#metrics',
    );
    expect(error('aggregate', 'metrics=visitors,visitors')).toBe('Metrics cannot be queried multiple times.');
    expect(error('aggregate', 'metrics=conversion_rate')).toBe(
      'Metric `conversion_rate` can only be queried in a goal breakdown or with a goal filter',
    );
    expect(error('aggregate', 'metrics=views_per_visit&filters=event:page==/')).toBe(
      'Metric `views_per_visit` cannot be queried with a filter on `event:page`.',
    );
    expect(error('breakdown', 'property=visit:source&metrics=views_per_visit')).toBe(
      'Metric `views_per_visit` is not supported in breakdown queries.',
    );
    expect(error('breakdown', 'property=event:props:plan&metrics=visits')).toBe(
      'Session metric `visits` cannot be queried for breakdown by `event:props:plan`.',
    );
    expect(error('aggregate', 'metrics=bounce_rate&filters=event:name==Signup')).toBe(
      'Session metric `bounce_rate` cannot be queried when using a filter on `event:name`.',
    );
    expect(error('breakdown', '')).toBe(
      'The `property` parameter is required. Please provide at least one property to show a breakdown by.',
    );
    expect(error('breakdown', 'property=visit:planet')).toBe(
      "Invalid property 'visit:planet'. Please provide a valid property for the breakdown endpoint: https://plausible.io/docs/stats-api#properties",
    );
    expect(error('breakdown', 'property=event:hostname')).toContain("Property 'event:hostname' is currently not supported for breakdowns.");
    for (const limit of ['0', '1001', 'ten', '-5', '2.5']) {
      expect(error('breakdown', `property=visit:source&limit=${limit}`)).toBe('Please provide limit as a number between 1 and 1000.');
    }
    for (const page of ['0', 'x']) {
      expect(error('breakdown', `property=visit:source&page=${page}`)).toBe('Please provide page as a positive number.');
    }
    expect(error('timeseries', 'interval=week')).toBe(
      'Error parsing `interval` parameter: invalid interval `week`. Valid intervals are `date`, `day`, `month`, `hour`',
    );
  });

  it('parses v1 filters: alternatives, escaped pipes, wildcards, negation', () => {
    const filters = parse('aggregate', `filters=${encodeURIComponent('visit:source!=Google|Bing;event:page==/blog/**;visit:utm_campaign==a\\|b;event:goal==Visit /x*')}`).filters;
    expect(filters.map(({ property, op, values }) => ({ property, op, values }))).toEqual([
      { property: 'visit:source', op: 'is_not', values: ['Google', 'Bing'] },
      { property: 'event:page', op: 'matches', values: ['/blog/**'] },
      { property: 'visit:utm_campaign', op: 'is', values: ['a|b'] },
      // A goal's name is never a pattern.
      { property: 'event:goal', op: 'is', values: ['Visit /x*'] },
    ]);
  });

  it('turns globs into anchored regular expressions with everything else literal', () => {
    const matches = (glob: string, path: string) => new RegExp(globToRegex(glob)).test(path);
    expect(matches('/blog/*', '/blog/a')).toBe(true);
    expect(matches('/blog/*', '/blog/a/b')).toBe(false);
    expect(matches('/blog/**', '/blog/a/b')).toBe(true);
    expect(matches('/blog**', '/blog')).toBe(true);
    expect(matches('/a.b', '/aXb')).toBe(false);
    expect(matches('/(x)+[y]', '/(x)+[y]')).toBe(true);
    expect(matches('*.pdf', 'file.pdf')).toBe(true);
    expect(matches('/blog', '/blog/')).toBe(false);
  });
});
