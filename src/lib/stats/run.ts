/**
 * Steps 3 and 4 of the pipe: run the SQL for each endpoint and format Plausible v1 JSON.
 */
import type { ClickHouseStore } from '../storage/clickhouse/index.js';
import { StatsQueryError } from './errors.js';
import { globToRegex } from './filters.js';
import {
  EVENT_COLUMNS,
  emptyStats,
  metricChange,
  metricTable,
  metricValue,
  sessionColumns,
  sortExpression,
  toRawStats,
  type RawStats,
  type Table,
} from './metrics.js';
import { blankLabel, resultKey, type PropertyRef } from './properties.js';
import { previousPeriod, utcBounds, type DateRange, type Metric, type StatsQuery } from './query.js';
import {
  bounceEntryCondition,
  dimensionExpression,
  eventsWhere,
  goalCondition,
  goalsNamed,
  SqlParams,
  sessionsWhere,
  type Scope,
} from './sql.js';
import { eachDate, eachMonth, localDateTime, utcDateTime } from './time.js';
import type { StatsGoal } from '../goals/goals.js';

/** A way to split results: an SQL key per table (undefined: one row for everything). */
interface Grouping {
  key: (p: SqlParams, table: Table) => string;
  /** Only these keys (a breakdown's second table fills in the rows the first one chose). */
  only?: string[];
  /** Extra conditions (e.g. no blank countries). */
  where?: (table: Table) => string[];
}

type Grouped = Map<string, RawStats>;

const ENTRY_EXIT_COLUMNS = ['pageviews', 'events', 'is_bounce', 'duration', 'entry_page', 'exit_page', 'timestamp'];

/**
 * FROM and WHERE of a sessions query. `collapse` reads each session's latest version (needed when the
 * grouping column changes during a visit: entry and exit pages); otherwise the raw rows, whose
 * cancel/state pairs cancel out in every sum(sign * x).
 */
function sessionsSource(p: SqlParams, scope: Scope, collapse: boolean): { from: string; where: string[] } {
  const where = sessionsWhere(p, scope);
  if (!collapse) return { from: 'sessions', where };
  const latest = ENTRY_EXIT_COLUMNS.map((c) => `argMax(${c}, version) AS latest_${c}`).join(', ');
  const renamed = ENTRY_EXIT_COLUMNS.map((c) => `latest_${c} AS ${c}`).join(', ');
  // Two levels: an alias equal to a column name would shadow the column inside the aggregation.
  return {
    from: `(SELECT session_id, latest_user_id AS user_id, toInt8(1) AS sign, ${renamed} FROM (
              SELECT session_id, any(user_id) AS latest_user_id, ${latest}
              FROM sessions WHERE ${where.join(' AND ')} GROUP BY session_id HAVING sum(sign) > 0))`,
    where: [],
  };
}

async function queryGrouped(
  ch: ClickHouseStore,
  scope: Scope,
  table: Table,
  grouping: Grouping | undefined,
  options: { withoutGoals?: boolean; collapse?: boolean } = {},
): Promise<Grouped> {
  const p = new SqlParams();
  let from: string;
  let where: string[];
  let columns: string;
  if (table === 'events') {
    from = 'events';
    where = eventsWhere(p, scope, { withoutGoals: options.withoutGoals });
    columns = EVENT_COLUMNS;
  } else {
    ({ from, where } = sessionsSource(p, scope, options.collapse ?? false));
    columns = sessionColumns(bounceEntryCondition(p, scope));
  }
  const key = grouping ? grouping.key(p, table) : `''`;
  const extra = grouping?.where?.(table) ?? [];
  const only = grouping?.only ? [`k IN ${p.bind(grouping.only, 'Array(String)')}`] : [];
  const conditions = [...where, ...extra];
  const sql = `SELECT ${key} AS k, ${columns} FROM ${from}
    ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
    GROUP BY k ${only.length > 0 ? `HAVING ${only.join(' AND ')}` : ''}`;
  const rows = await ch.query<Record<string, unknown>>(sql, p.values);
  return new Map(rows.map((row) => [String(row.k), toRawStats(row)]));
}

function merge(target: Grouped, source: Grouped, fields: (keyof RawStats)[]): void {
  for (const [k, stats] of source) {
    const row = target.get(k) ?? emptyStats();
    for (const f of fields) row[f] = stats[f];
    target.set(k, row);
  }
}

const EVENT_FIELDS: (keyof RawStats)[] = ['visitors', 'pageviews', 'events'];
const SESSION_FIELDS: (keyof RawStats)[] = ['visits', 'pageviewsInVisits', 'bounces', 'bounceVisits', 'durationSum'];

const needsTable = (metrics: Metric[], table: Table) => metrics.some((m) => metricTable(m) === table);
const hasGoalFilter = (scope: Scope) => scope.filters.some((f) => f.ref.kind === 'goal');

/** All raw stats for metrics counted per group, both tables run side by side. */
async function statsFor(ch: ClickHouseStore, scope: Scope, metrics: Metric[], grouping?: Grouping): Promise<Grouped> {
  const result: Grouped = new Map();
  const [events, sessions, totals] = await Promise.all([
    needsTable(metrics, 'events') ? queryGrouped(ch, scope, 'events', grouping) : undefined,
    needsTable(metrics, 'sessions') ? queryGrouped(ch, scope, 'sessions', grouping) : undefined,
    metrics.includes('conversion_rate') && hasGoalFilter(scope)
      ? queryGrouped(ch, scope, 'events', grouping, { withoutGoals: true })
      : undefined,
  ]);
  if (events) merge(result, events, EVENT_FIELDS);
  if (sessions) merge(result, sessions, SESSION_FIELDS);
  if (totals) {
    for (const [k, stats] of totals) {
      const row = result.get(k) ?? emptyStats();
      row.totalVisitors = stats.visitors;
      result.set(k, row);
    }
  }
  return result;
}

function scopeFor(query: StatsQuery, range: DateRange, goals: StatsGoal[]): Scope {
  const { from, to } = utcBounds(range, query.site.timezone);
  return { siteId: query.site.id, timezone: query.site.timezone, from, to, filters: query.filters, goals };
}

export async function runAggregate(ch: ClickHouseStore, query: StatsQuery, goals: StatsGoal[]) {
  const current = statsFor(ch, scopeFor(query, query.range, goals), query.metrics);
  const previous = query.compare ? statsFor(ch, scopeFor(query, previousPeriod(query.range), goals), query.metrics) : undefined;
  const now = (await current).get('') ?? emptyStats();
  const before = previous ? ((await previous).get('') ?? emptyStats()) : undefined;
  const results: Record<string, { value: number; change?: number | null }> = {};
  for (const metric of query.metrics) {
    const value = metricValue(metric, now);
    results[metric] = before ? { value, change: metricChange(metric, metricValue(metric, before), value) } : { value };
  }
  return { results };
}

/** The buckets of a timeseries, labelled as the API shows them. */
function buckets(query: StatsQuery, scope: Scope): string[] {
  if (query.interval === 'date') return eachDate(query.range.first, query.range.last);
  if (query.interval === 'month') return eachMonth(query.range.first, query.range.last);
  const hours = new Set<string>();
  for (let t = scope.from.getTime(); t < scope.to.getTime(); t += 3_600_000) {
    hours.add(`${localDateTime(new Date(t), scope.timezone).slice(0, 13)}:00:00`);
  }
  return [...hours];
}

function bucketKey(query: StatsQuery): Grouping['key'] {
  return (p) => {
    const tz = p.bind(query.site.timezone, 'String');
    if (query.interval === 'date') return `toString(toDate(timestamp, ${tz}))`;
    if (query.interval === 'month') return `toString(toStartOfMonth(timestamp, ${tz}))`;
    return `toString(toStartOfHour(timestamp, ${tz}))`;
  };
}

export async function runTimeseries(ch: ClickHouseStore, query: StatsQuery, goals: StatsGoal[]) {
  const scope = scopeFor(query, query.range, goals);
  const grouped = await statsFor(ch, scope, query.metrics, { key: bucketKey(query) });
  const results = buckets(query, scope).map((date) => {
    const stats = grouped.get(date) ?? emptyStats();
    const row: Record<string, string | number> = { date };
    for (const metric of query.metrics) row[metric] = metricValue(metric, stats);
    return row;
  });
  return { results };
}

/**
 * Breakdowns are sorted by the first metric asked for (then by the key), as Plausible does. A conversion
 * rate outside a goal breakdown has a different denominator per row, so there it sorts by visitors.
 */
function sortMetric(metrics: Metric[], ref: PropertyRef): Metric {
  const first = metrics[0] as Metric;
  return first === 'conversion_rate' && ref.kind !== 'goal' ? 'visitors' : first;
}

function breakdownGrouping(ref: PropertyRef): Grouping {
  return {
    key: (p, table) => {
      // A page breakdown's visit metrics belong to the page the visit entered on.
      if (ref.kind === 'event' && ref.property === 'event:page' && table === 'sessions') return 'entry_page';
      return dimensionExpression(p, ref, table);
    },
    where: (table) => {
      // Plausible leaves out unknown countries and visits without UTM tags (sources show "Direct / None").
      if (ref.kind === 'visit' && ref.property === 'visit:country') return ["country_code != ''"];
      if (ref.kind === 'visit' && ref.property.startsWith('visit:utm_')) return [`${ref.column} != ''`];
      if (ref.kind === 'session') return [`${ref.column} != ''`];
      if (ref.kind === 'event' && ref.property === 'event:page' && table === 'sessions') return ["entry_page != ''"];
      return [];
    },
  };
}

async function pageOfKeys(
  ch: ClickHouseStore,
  scope: Scope,
  query: StatsQuery,
  table: Table,
  grouping: Grouping,
  collapse: boolean,
): Promise<string[]> {
  const p = new SqlParams();
  const metric = sortMetric(query.metrics, (query.property as { ref: PropertyRef }).ref);
  let from = 'events';
  let where: string[];
  let entry = '1';
  if (table === 'events') {
    where = eventsWhere(p, scope);
  } else {
    ({ from, where } = sessionsSource(p, scope, collapse));
    entry = bounceEntryCondition(p, scope);
  }
  const conditions = [...where, ...(grouping.where?.(table) ?? [])];
  const key = grouping.key(p, table);
  const sql = `SELECT ${key} AS k FROM ${from}
    ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
    GROUP BY k ORDER BY ${sortExpression(metric, table, entry)} DESC, k ASC
    LIMIT ${p.bind(query.limit, 'UInt32')} OFFSET ${p.bind((query.page - 1) * query.limit, 'UInt64')}`;
  const rows = await ch.query<{ k: string }>(sql, p.values);
  return rows.map((r) => String(r.k));
}

export async function runBreakdown(ch: ClickHouseStore, query: StatsQuery, goals: StatsGoal[]) {
  const property = query.property;
  if (!property) throw new StatsQueryError('The `property` parameter is required.');
  const scope = scopeFor(query, query.range, goals);
  if (property.ref.kind === 'goal') return goalBreakdown(ch, query, scope);

  const grouping = breakdownGrouping(property.ref);
  const sessionsOnly = property.ref.kind === 'session';
  const primary: Table = sessionsOnly ? 'sessions' : metricTable(sortMetric(query.metrics, property.ref));
  const keys = await pageOfKeys(ch, scope, query, primary, grouping, sessionsOnly);
  const rows: Grouped = new Map(keys.map((k) => [k, emptyStats()]));
  if (keys.length > 0) {
    const restricted: Grouping = { ...grouping, only: keys };
    if (sessionsOnly) {
      const [sessions, totals] = await Promise.all([
        queryGrouped(ch, scope, 'sessions', restricted, { collapse: true }),
        query.metrics.includes('conversion_rate')
          ? queryGrouped(ch, scope, 'sessions', restricted, { collapse: true, withoutGoals: true })
          : undefined,
      ]);
      merge(rows, sessions, [...EVENT_FIELDS, ...SESSION_FIELDS]);
      if (totals) for (const [k, s] of totals) (rows.get(k) as RawStats).totalVisitors = s.visitors;
    } else {
      merge(rows, await statsFor(ch, scope, query.metrics, restricted), [...EVENT_FIELDS, ...SESSION_FIELDS, 'totalVisitors']);
    }
  }
  const name = resultKey(property.name);
  const blank = blankLabel(property.ref);
  const results = keys.map((k) => {
    const stats = rows.get(k) ?? emptyStats();
    const row: Record<string, string | number> = { [name]: k === '' && blank ? blank : k };
    for (const metric of query.metrics) row[metric] = metricValue(metric, stats);
    return row;
  });
  return { results };
}

/** Completions per goal: an event can complete several goals (a page goal and a pattern both matching). */
async function goalBreakdown(ch: ClickHouseStore, query: StatsQuery, scope: Scope) {
  let goals = scope.goals;
  for (const f of scope.filters) {
    if (f.ref.kind !== 'goal') continue;
    const named = new Set(goalsNamed(goals, f.values).map((g) => g.id));
    goals = goals.filter((g) => (f.op === 'is' ? named.has(g.id) : !named.has(g.id)));
  }
  const base: Scope = { ...scope, filters: scope.filters.filter((f) => f.ref.kind !== 'goal') };
  if (goals.length === 0) return { results: [] };

  const p = new SqlParams();
  const eventGoals = goals.filter((g) => g.eventName !== null);
  const pageGoals = goals.filter((g) => g.pagePath !== null);
  const parts: string[] = [];
  if (eventGoals.length > 0) {
    const names = p.bind(eventGoals.map((g) => g.eventName), 'Array(String)');
    const ids = p.bind(eventGoals.map((g) => g.id), 'Array(UInt64)');
    parts.push(`if(has(${names}, name), [${ids}[indexOf(${names}, name)]], CAST([], 'Array(UInt64)'))`);
  }
  if (pageGoals.length > 0) {
    const regexes = p.bind(pageGoals.map((g) => globToRegex(g.pagePath as string)), 'Array(String)');
    const ids = p.bind(pageGoals.map((g) => g.id), 'Array(UInt64)');
    parts.push(
      `if(name = 'pageview', arrayMap(i -> ${ids}[i], multiMatchAllIndices(pathname, ${regexes})), CAST([], 'Array(UInt64)'))`,
    );
  }
  const where = [...eventsWhere(p, base), goalCondition(p, goals)];
  const sql = `SELECT goal_id AS k, ${EVENT_COLUMNS} FROM events
    ARRAY JOIN arrayConcat(${parts.join(', ')}) AS goal_id
    WHERE ${where.join(' AND ')} GROUP BY k`;
  const [rows, totals] = await Promise.all([
    ch.query<Record<string, unknown>>(sql, p.values),
    query.metrics.includes('conversion_rate') ? queryGrouped(ch, base, 'events', undefined) : undefined,
  ]);
  const totalVisitors = totals?.get('')?.visitors ?? 0;
  const byId = new Map(goals.map((g) => [g.id, g]));
  const sorted = rows
    .map((row) => ({ goal: byId.get(Number(row.k)) as StatsGoal, stats: { ...toRawStats(row), totalVisitors } }))
    .filter((r) => r.goal !== undefined);
  const metric = sortMetric(query.metrics, { kind: 'goal', property: 'event:goal' });
  // Ties keep the order goals were created in.
  sorted.sort((a, b) => metricValue(metric, b.stats) - metricValue(metric, a.stats) || a.goal.id - b.goal.id);
  const page = sorted.slice((query.page - 1) * query.limit, query.page * query.limit);
  return {
    results: page.map(({ goal, stats }) => {
      const row: Record<string, string | number> = { goal: goal.displayName };
      for (const m of query.metrics) row[m] = metricValue(m, stats);
      return row;
    }),
  };
}

/** Plausible's realtime visitors: unique visitors with an event in the last 5 minutes. */
export const REALTIME_WINDOW_SECONDS = 5 * 60;

export async function runRealtimeVisitors(ch: ClickHouseStore, query: StatsQuery): Promise<number> {
  const p = new SqlParams();
  const since = new Date(query.now.getTime() - REALTIME_WINDOW_SECONDS * 1000);
  const rows = await ch.query<{ visitors: string }>(
    `SELECT uniq(user_id) AS visitors FROM events
     WHERE site_id = ${p.bind(query.site.id, 'UInt64')} AND timestamp >= ${p.bind(utcDateTime(since), "DateTime('UTC')")}
       AND timestamp <= ${p.bind(utcDateTime(query.now), "DateTime('UTC')")}`,
    p.values,
  );
  return Number(rows[0]?.visitors ?? 0);
}
