/**
 * Metric SQL and the arithmetic that turns the raw sums into the numbers the API returns. Ratios are
 * computed here rather than in SQL so that rounding is the same on every ClickHouse (Math.round:
 * halves go up) and easy to reproduce.
 */
import type { Metric } from './query.js';

export type Table = 'events' | 'sessions';

/** The raw aggregates a row of results is computed from; absent ones are 0. */
export interface RawStats {
  visitors: number;
  pageviews: number;
  events: number;
  visits: number;
  pageviewsInVisits: number;
  bounces: number;
  bounceVisits: number;
  durationSum: number;
  /** Visitors of the same group without the goal filter: the conversion rate's denominator. */
  totalVisitors: number;
}

export const emptyStats = (): RawStats => ({
  visitors: 0,
  pageviews: 0,
  events: 0,
  visits: 0,
  pageviewsInVisits: 0,
  bounces: 0,
  bounceVisits: 0,
  durationSum: 0,
  totalVisitors: 0,
});

/** The raw aggregates each metric is computed from. */
const FIELDS_OF: Record<Metric, (keyof RawStats)[]> = {
  visitors: ['visitors'],
  pageviews: ['pageviews'],
  events: ['events'],
  visits: ['visits'],
  bounce_rate: ['bounces', 'bounceVisits'],
  visit_duration: ['durationSum', 'visits'],
  views_per_visit: ['pageviewsInVisits', 'visits'],
  conversion_rate: ['visitors'],
};

export const fieldsFor = (metrics: Metric[]): Set<keyof RawStats> => new Set(metrics.flatMap((m) => FIELDS_OF[m]));

/**
 * The SELECT list for the raw aggregates `fields` on `table`, only those (reading a column costs time).
 * `entry` restricts bounce counting to visits that entered on a filtered page. Aliases are prefixed:
 * ClickHouse resolves a bare alias like `pageviews` before the column of that name.
 */
export function aggregateColumns(table: Table, fields: Set<keyof RawStats>, entry = '1'): string {
  const events: Partial<Record<keyof RawStats, string>> = {
    visitors: 'uniq(user_id)',
    pageviews: "countIf(name = 'pageview')",
    events: 'count()',
  };
  const sessions: Partial<Record<keyof RawStats, string>> = {
    visitors: 'uniq(user_id)',
    pageviews: 'sum(sign * pageviews)',
    events: 'sum(sign * events)',
    visits: 'sum(sign)',
    pageviewsInVisits: 'sum(sign * pageviews)',
    bounces: `sumIf(sign * is_bounce, ${entry})`,
    bounceVisits: `sumIf(sign, ${entry})`,
    durationSum: 'sum(sign * duration)',
  };
  const available = table === 'events' ? events : sessions;
  const columns = [...fields].flatMap((f) => (available[f] ? [`${available[f]} AS x_${f}`] : []));
  return columns.length > 0 ? columns.join(', ') : 'count() AS x_rows';
}

/** Where a metric is counted when both tables could answer. */
export function metricTable(metric: Metric): Table {
  return metric === 'visits' || metric === 'bounce_rate' || metric === 'visit_duration' || metric === 'views_per_visit'
    ? 'sessions'
    : 'events';
}

/** An SQL expression ordering groups by `metric` (same order as the final numbers). */
export function sortExpression(metric: Metric, table: Table, entry: string): string {
  if (table === 'events') {
    if (metric === 'pageviews') return `countIf(name = 'pageview')`;
    if (metric === 'events') return 'count()';
    return 'uniq(user_id)';
  }
  switch (metric) {
    case 'visits':
      return 'sum(sign)';
    case 'pageviews':
      return 'sum(sign * pageviews)';
    case 'events':
      return 'sum(sign * events)';
    case 'bounce_rate':
      return `if(sumIf(sign, ${entry}) = 0, 0, sumIf(sign * is_bounce, ${entry}) / sumIf(sign, ${entry}))`;
    case 'visit_duration':
      return 'if(sum(sign) = 0, 0, sum(sign * duration) / sum(sign))';
    default:
      return 'uniq(user_id)';
  }
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export function metricValue(metric: Metric, s: RawStats): number {
  switch (metric) {
    case 'visitors':
      return s.visitors;
    case 'pageviews':
      return s.pageviews;
    case 'events':
      return s.events;
    case 'visits':
      return s.visits;
    case 'bounce_rate':
      return s.bounceVisits > 0 ? Math.round((s.bounces / s.bounceVisits) * 100) : 0;
    case 'visit_duration':
      return s.visits > 0 ? Math.round(s.durationSum / s.visits) : 0;
    case 'views_per_visit':
      return s.visits > 0 ? round2(s.pageviewsInVisits / s.visits) : 0;
    case 'conversion_rate':
      return s.totalVisitors > 0 ? round2((s.visitors / s.totalVisitors) * 100) : 0;
  }
}

/**
 * Plausible's `change` for compare=previous_period: percent change rounded to an integer (100 when
 * the previous value was 0), but percentage points for bounce rate (null when there was none before).
 */
export function metricChange(metric: Metric, previous: number, current: number): number | null {
  if (metric === 'bounce_rate') return previous > 0 ? current - previous : null;
  if (metric === 'conversion_rate') return round2(current - previous);
  if (previous === 0) return current > 0 ? 100 : 0;
  return Math.round(((current - previous) / previous) * 100);
}

/** JSON rows carry 64-bit integers as strings. */
export function toRawStats(row: Record<string, unknown>): RawStats {
  const stats = emptyStats();
  for (const key of Object.keys(stats) as (keyof RawStats)[]) {
    const value = row[`x_${key}`];
    if (value !== undefined && value !== null) stats[key] = Number(value);
  }
  return stats;
}
