/**
 * Steps 3 and 4 of the pipe: run the SQL for each endpoint and format Plausible v1 JSON.
 */
import type { ClickHouseStore } from '../storage/clickhouse/index.js';
import { StatsQueryError } from './errors.js';
import { globToRegex } from './filters.js';
import {
  aggregateColumns,
  emptyStats,
  fieldsFor,
  metricChange,
  metricTable,
  metricValue,
  sortExpression,
  toRawStats,
  type RawStats,
  type Table,
} from './metrics.js';
import { blankLabel, resultKey, type PropertyRef } from './properties.js';
import { previousPeriod, utcBounds, type DateRange, type Metric, type StatsQuery } from './query.js';
import {
  FINAL_SETTINGS,
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

/**
 * FROM and WHERE of a sessions query. `final` reads each visit's latest version (needed when grouping by a
 * column that changes during a visit: entry and exit pages); otherwise the raw rows, whose cancel/state
 * pairs cancel out in every sum(sign * x) and carry the same visit attributes.
 */
function sessionsSource(p: SqlParams, scope: Scope, final: boolean): { from: string; where: string[] } {
  return { from: final ? 'sessions FINAL' : 'sessions', where: sessionsWhere(p, scope) };
}

interface GroupedOptions {
  /** The metrics to compute (only their raw aggregates are selected). */
  metrics: Metric[];
  withoutGoals?: boolean;
  final?: boolean;
  /** Sorted by this metric (then by key), one page of rows. */
  page?: { metric: Metric; limit: number; offset: number };
}

async function queryRows(
  ch: ClickHouseStore,
  scope: Scope,
  table: Table,
  grouping: Grouping | undefined,
  options: GroupedOptions,
): Promise<[string, RawStats][]> {
  const p = new SqlParams();
  let from = 'events';
  let where: string[];
  let entry = '1';
  if (table === 'events') {
    where = eventsWhere(p, scope, { withoutGoals: options.withoutGoals });
  } else {
    ({ from, where } = sessionsSource(p, scope, options.final ?? false));
    entry = bounceEntryCondition(p, scope);
  }
  const columns = aggregateColumns(table, fieldsFor(options.metrics), entry);
  const key = grouping ? grouping.key(p, table) : `''`;
  const conditions = [...where, ...(grouping?.where?.(table) ?? [])];
  if (grouping?.only) conditions.push(`${key} IN ${p.bind(grouping.only, 'Array(String)')}`);
  const order = options.page
    ? `ORDER BY ${sortExpression(options.page.metric, table, entry)} DESC, k ASC
       LIMIT ${p.bind(options.page.limit, 'UInt32')} OFFSET ${p.bind(options.page.offset, 'UInt64')}`
    : '';
  const sql = `SELECT ${key} AS k, ${columns} FROM ${from}
    ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
    GROUP BY k ${order} ${from.endsWith('FINAL') ? `SETTINGS ${FINAL_SETTINGS}` : ''}`;
  const rows = await ch.query<Record<string, unknown>>(sql, p.values);
  return rows.map((row) => [String(row.k), toRawStats(row)]);
}

async function queryGrouped(
  ch: ClickHouseStore,
  scope: Scope,
  table: Table,
  grouping: Grouping | undefined,
  options: GroupedOptions,
): Promise<Grouped> {
  return new Map(await queryRows(ch, scope, table, grouping, options));
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
const metricsOn = (metrics: Metric[], table: Table) => metrics.filter((m) => metricTable(m) === table);
const hasGoalFilter = (scope: Scope) => scope.filters.some((f) => f.ref.kind === 'goal');

/** All raw stats for metrics counted per group, both tables run side by side. */
async function statsFor(ch: ClickHouseStore, scope: Scope, metrics: Metric[], grouping?: Grouping): Promise<Grouped> {
  const result: Grouped = new Map();
  const [events, sessions, totals] = await Promise.all([
    needsTable(metrics, 'events') ? queryGrouped(ch, scope, 'events', grouping, { metrics: metricsOn(metrics, 'events') }) : undefined,
    needsTable(metrics, 'sessions') ? queryGrouped(ch, scope, 'sessions', grouping, { metrics: metricsOn(metrics, 'sessions') }) : undefined,
    metrics.includes('conversion_rate') && hasGoalFilter(scope)
      ? queryGrouped(ch, scope, 'events', grouping, { metrics: ['visitors'], withoutGoals: true })
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

/** Filters on what happened (pages, events, props, goals) rather than on who visited. */
const hasEventFilter = (scope: Scope) => scope.filters.some((f) => f.ref.kind !== 'visit' && f.ref.kind !== 'session');

export async function runBreakdown(ch: ClickHouseStore, query: StatsQuery, goals: StatsGoal[]) {
  const property = query.property;
  if (!property) throw new StatsQueryError('The `property` parameter is required.');
  const scope = scopeFor(query, query.range, goals);
  if (property.ref.kind === 'goal') return goalBreakdown(ch, query, scope);

  const ref = property.ref;
  const grouping = breakdownGrouping(ref);
  // Plausible's v1 breakdowns by a visit property count everything on the visits (sessions table, a
  // third of the rows); with a filter on events, event metrics must count the matching events only.
  const visitLevel = ref.kind === 'session' || (ref.kind === 'visit' && !hasEventFilter(scope));
  const tableOf = (metric: Metric): Table => (visitLevel ? 'sessions' : metricTable(metric));
  // An entry page is set once (blank until the first pageview, and blanks are left out), so only exit
  // pages need each visit's latest version.
  const final = ref.kind === 'session' && ref.property === 'visit:exit_page';
  const sortBy = sortMetric(query.metrics, ref);
  const primary = tableOf(sortBy);
  const offset = (query.page - 1) * query.limit;
  const fieldsOf = (table: Table) => (table === 'events' ? EVENT_FIELDS : visitLevel ? [...EVENT_FIELDS, ...SESSION_FIELDS] : SESSION_FIELDS);

  const metricsOf = (table: Table) => query.metrics.filter((m) => tableOf(m) === table);
  const page = await queryRows(ch, scope, primary, grouping, {
    metrics: metricsOf(primary),
    final,
    page: { metric: sortBy, limit: query.limit, offset },
  });
  const keys = page.map(([k]) => k);
  const rows: Grouped = new Map();
  for (const [k, stats] of page) {
    const row = emptyStats();
    for (const f of fieldsOf(primary)) row[f] = stats[f];
    rows.set(k, row);
  }
  const others = [...new Set(query.metrics.map(tableOf))].filter((t) => t !== primary);
  if (keys.length > 0) {
    const restricted: Grouping = { ...grouping, only: keys };
    const [secondary, totals] = await Promise.all([
      Promise.all(
        others.map(async (t) => ({ table: t, rows: await queryGrouped(ch, scope, t, restricted, { metrics: metricsOf(t), final }) })),
      ),
      query.metrics.includes('conversion_rate') && hasGoalFilter(scope)
        ? queryGrouped(ch, scope, 'events', restricted, { metrics: ['visitors'], withoutGoals: true })
        : undefined,
    ]);
    for (const { table, rows: found } of secondary) merge(rows, found, fieldsOf(table));
    if (totals) for (const [k, s] of totals) (rows.get(k) as RawStats).totalVisitors = s.visitors;
  }
  const name = resultKey(property.name);
  const blank = blankLabel(ref);
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
  const sql = `SELECT goal_id AS k, ${aggregateColumns('events', new Set(['visitors', 'pageviews', 'events']))} FROM events
    ARRAY JOIN arrayConcat(${parts.join(', ')}) AS goal_id
    WHERE ${where.join(' AND ')} GROUP BY k`;
  const [rows, totals] = await Promise.all([
    ch.query<Record<string, unknown>>(sql, p.values),
    query.metrics.includes('conversion_rate') ? queryGrouped(ch, base, 'events', undefined, { metrics: ['visitors'] }) : undefined,
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
