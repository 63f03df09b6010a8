/**
 * The Stats API as a library: one Plausible v1 query in, Plausible v1 JSON out. Used by the HTTP API
 * (`/api/v1/stats/*`), the dashboard, health probes, reports and anything else that needs numbers.
 *
 * The pipe: parse (query.ts) → build SQL (sql.ts, metrics.ts) → run and format (run.ts).
 */
import { goalsForSite, type StatsGoal } from '../goals/goals.js';
import type { OpenedStores } from '../storage/open.js';
import { StatsQueryError } from './errors.js';
import { parseStatsQuery, type StatsEndpoint, type StatsQuery, type StatsSite } from './query.js';
import { runAggregate, runBreakdown, runRealtimeVisitors, runTimeseries } from './run.js';

export type { StatsEndpoint, StatsSite, StatsQuery, Metric, Period, Interval, DateRange } from './query.js';
export { METRICS, PERIODS, parseStatsQuery, dateRange, previousPeriod, utcBounds } from './query.js';
export { StatsQueryError } from './errors.js';
export { parseFilters, globToRegex, type StatsFilter, type FilterOperator } from './filters.js';
export { REALTIME_WINDOW_SECONDS } from './run.js';

export const STATS_ENDPOINTS: readonly StatsEndpoint[] = ['aggregate', 'timeseries', 'breakdown', 'realtime/visitors'];

export interface StatsResponse {
  status: number;
  /** Plausible v1 JSON, or `{error: string}`. */
  body: unknown;
}

/** The stores runStatsQuery reads: ClickHouse for numbers, Postgres for goals. */
export type StatsStores = Pick<OpenedStores, 'postgres' | 'clickhouse'>;

const GOALS_DOCS = 'https://plausible.io/docs/stats-api#filtering-by-goals';

async function loadGoals(stores: StatsStores, query: StatsQuery): Promise<StatsGoal[]> {
  const goalFilters = query.filters.filter((f) => f.ref.kind === 'goal');
  if (goalFilters.length === 0 && query.property?.ref.kind !== 'goal') return [];
  const goals = await goalsForSite(stores.postgres, query.site.id);
  const names = new Set(goals.map((g) => g.displayName));
  for (const filter of goalFilters) {
    const missing = filter.values.find((v) => !names.has(v));
    if (missing === undefined) continue;
    const what = missing.startsWith('Visit ')
      ? `The pageview goal for the pathname \`${missing.slice('Visit '.length)}\` is not configured for this site. `
      : `The goal \`${missing}\` is not configured for this site. `;
    throw new StatsQueryError(`${what}Find out how to configure goals here: ${GOALS_DOCS}`);
  }
  return goals;
}

/**
 * Runs one Plausible v1 Stats API query. `params` are the v1 query parameters (period, date, metrics,
 * property, filters, interval, compare, limit, page); `site_id` is ignored (the caller resolved the
 * site). Invalid parameters give `{status: 400, body: {error}}` with Plausible's message; database
 * failures are thrown.
 */
export async function runStatsQuery(
  stores: StatsStores,
  site: StatsSite,
  endpoint: StatsEndpoint,
  params: URLSearchParams,
  options: { now?: Date } = {},
): Promise<StatsResponse> {
  try {
    const query = parseStatsQuery(site, endpoint, params, options.now ?? new Date());
    const ch = stores.clickhouse;
    if (endpoint === 'realtime/visitors') return { status: 200, body: await runRealtimeVisitors(ch, query) };
    const goals = await loadGoals(stores, query);
    switch (endpoint) {
      case 'aggregate':
        return { status: 200, body: await runAggregate(ch, query, goals) };
      case 'timeseries':
        return { status: 200, body: await runTimeseries(ch, query, goals) };
      case 'breakdown':
        return { status: 200, body: await runBreakdown(ch, query, goals) };
    }
  } catch (error) {
    if (error instanceof StatsQueryError) return { status: error.status, body: { error: error.message } };
    throw error;
  }
}
