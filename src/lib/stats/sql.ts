/**
 * Step 2 of the pipe: SQL text from a query. Column names come only from the whitelist in
 * properties.ts; every value a request carries is a typed `{pN:Type}` parameter.
 */
import type { StatsGoal } from '../goals/goals.js';
import { globToRegex, type StatsFilter } from './filters.js';
import type { PropertyRef } from './properties.js';
import { utcDateTime } from './time.js';

export class SqlParams {
  readonly values: Record<string, unknown> = {};
  private next = 0;

  /** A placeholder for `value`, e.g. `{p3:Array(String)}`. */
  bind(value: unknown, type: string): string {
    const name = `p${this.next++}`;
    this.values[name] = value;
    return `{${name}:${type}}`;
  }
}

/** What every query of one request shares: the site, the UTC window and the filters. */
export interface Scope {
  siteId: number;
  timezone: string;
  from: Date;
  to: Date;
  filters: StatsFilter[];
  /** The site's goals (loaded when a goal filter or breakdown needs them). */
  goals: StatsGoal[];
}

export type Table = 'events' | 'sessions';

/**
 * For `sessions FINAL`: every version of a visit has the same `start`, so the same partition; ClickHouse
 * need not merge across partitions, and reads a partition that is one part as it is.
 */
export const FINAL_SETTINGS = 'do_not_merge_across_partitions_select_final = 1';

/**
 * Sessions that were active in the window: they ended after it began and started before it ended.
 * The lower bound on `start` lets ClickHouse skip old parts (the sort key is by start date); a visit
 * longer than a day is not a human's, so nothing real is lost.
 */
function windowCondition(p: SqlParams, table: Table, scope: Scope): string[] {
  const site = `site_id = ${p.bind(scope.siteId, 'UInt64')}`;
  const from = p.bind(utcDateTime(scope.from), "DateTime('UTC')");
  const to = p.bind(utcDateTime(scope.to), "DateTime('UTC')");
  if (table === 'events') return [site, `timestamp >= ${from}`, `timestamp < ${to}`];
  return [site, `start >= ${from} - INTERVAL 1 DAY`, `start < ${to}`, `timestamp >= ${from}`];
}

const BLANK_ALIASES_DIRECT = new Set([
  'visit:source',
  'visit:referrer',
  'visit:utm_medium',
  'visit:utm_source',
  'visit:utm_campaign',
  'visit:utm_content',
  'visit:utm_term',
]);

/** Plausible's labels for "empty" in filters: `Direct / None` (sources, UTM) and `(not set)`. */
function storedValue(filter: StatsFilter, value: string): string {
  if (value === '(not set)' && filter.ref.kind !== 'prop') return '';
  if (value === 'Direct / None' && BLANK_ALIASES_DIRECT.has(filter.property)) return '';
  return value;
}

function valueCondition(p: SqlParams, expression: string, filter: StatsFilter): string {
  switch (filter.op) {
    case 'is':
      return `${expression} IN ${p.bind(filter.values.map((v) => storedValue(filter, v)), 'Array(String)')}`;
    case 'is_not':
      return `${expression} NOT IN ${p.bind(filter.values.map((v) => storedValue(filter, v)), 'Array(String)')}`;
    case 'matches':
      return `multiMatchAny(${expression}, ${p.bind(filter.values.map(globToRegex), 'Array(String)')})`;
    case 'does_not_match':
      return `NOT multiMatchAny(${expression}, ${p.bind(filter.values.map(globToRegex), 'Array(String)')})`;
  }
}

/** Custom props follow Plausible: `(none)` stands for "the event has no such prop". */
function propCondition(p: SqlParams, key: string, filter: StatsFilter): string {
  const k = p.bind(key, 'String');
  const has = `has(prop_keys, ${k})`;
  const value = `prop_values[indexOf(prop_keys, ${k})]`;
  const none = filter.values.includes('(none)');
  switch (filter.op) {
    case 'is': {
      const match = `(${has} AND ${value} IN ${p.bind(filter.values, 'Array(String)')})`;
      return none ? `(${match} OR NOT ${has})` : match;
    }
    case 'is_not': {
      const differs = `(${has} AND ${value} NOT IN ${p.bind(filter.values, 'Array(String)')})`;
      return none ? differs : `(${differs} OR NOT ${has})`;
    }
    case 'matches':
      return `(${has} AND multiMatchAny(${value}, ${p.bind(filter.values.map(globToRegex), 'Array(String)')}))`;
    case 'does_not_match':
      return `(${has} AND NOT multiMatchAny(${value}, ${p.bind(filter.values.map(globToRegex), 'Array(String)')}))`;
  }
}

/** Events that complete any of `goals`: a custom event by name, or a pageview of a path (globs allowed). */
export function goalCondition(p: SqlParams, goals: StatsGoal[]): string {
  const names = goals.flatMap((g) => (g.eventName !== null ? [g.eventName] : []));
  const paths = goals.flatMap((g) => (g.pagePath !== null ? [globToRegex(g.pagePath)] : []));
  const parts: string[] = [];
  if (names.length > 0) parts.push(`name IN ${p.bind(names, 'Array(String)')}`);
  if (paths.length > 0) parts.push(`(name = 'pageview' AND multiMatchAny(pathname, ${p.bind(paths, 'Array(String)')}))`);
  return parts.length === 0 ? '0' : `(${parts.join(' OR ')})`;
}

export function goalsNamed(goals: StatsGoal[], names: string[]): StatsGoal[] {
  return goals.filter((g) => names.includes(g.displayName));
}

function goalFilterCondition(p: SqlParams, filter: StatsFilter, goals: StatsGoal[]): string {
  const condition = goalCondition(p, goalsNamed(goals, filter.values));
  return filter.op === 'is' ? condition : `NOT ${condition}`;
}

/** A condition on one events row. */
function eventRowCondition(p: SqlParams, filter: StatsFilter, goals: StatsGoal[]): string {
  const ref = filter.ref;
  switch (ref.kind) {
    case 'visit':
    case 'event':
      return valueCondition(p, ref.column, filter);
    case 'prop':
      return propCondition(p, ref.key, filter);
    case 'goal':
      return goalFilterCondition(p, filter, goals);
    case 'session':
      throw new Error(`${filter.property} is not an events column`);
  }
}

/**
 * Entry and exit pages change as a visit goes on, and the superseded versions stay in the table until
 * merges collapse them: FINAL reads each visit's latest version, so a filter never matches a page the
 * visit has since moved on from.
 */
function sessionPageFilter(p: SqlParams, scope: Scope, filters: StatsFilter[]): string | undefined {
  const pageFilters = filters.filter((f) => f.ref.kind === 'session');
  if (pageFilters.length === 0) return undefined;
  const where = [
    ...windowCondition(p, 'sessions', scope),
    ...pageFilters.map((f) => valueCondition(p, (f.ref as { column: string }).column, f)),
  ];
  return `session_id IN (SELECT session_id FROM sessions FINAL WHERE ${where.join(' AND ')} SETTINGS ${FINAL_SETTINGS})`;
}

export interface WhereOptions {
  /** Leave out event:goal filters (the denominator of a conversion rate). */
  withoutGoals?: boolean;
}

/** The WHERE conditions of an events query: window, then every filter. */
export function eventsWhere(p: SqlParams, scope: Scope, options: WhereOptions = {}): string[] {
  const filters = scope.filters.filter((f) => !(options.withoutGoals && f.ref.kind === 'goal'));
  const conditions = windowCondition(p, 'events', scope);
  for (const f of filters) if (f.ref.kind !== 'session') conditions.push(eventRowCondition(p, f, scope.goals));
  const pages = sessionPageFilter(p, scope, filters);
  if (pages) conditions.push(pages);
  return conditions;
}

/**
 * The WHERE conditions of a sessions query. Event filters select the sessions that had a matching
 * event in the window (a page filter: visits that viewed the page).
 */
export function sessionsWhere(p: SqlParams, scope: Scope): string[] {
  const conditions = windowCondition(p, 'sessions', scope);
  const eventFilters = scope.filters.filter((f) => f.ref.kind !== 'visit' && f.ref.kind !== 'session');
  for (const f of scope.filters) if (f.ref.kind === 'visit') conditions.push(valueCondition(p, f.ref.column, f));
  if (eventFilters.length > 0) {
    const inner = [...windowCondition(p, 'events', scope), ...eventFilters.map((f) => eventRowCondition(p, f, scope.goals))];
    conditions.push(`session_id IN (SELECT session_id FROM events WHERE ${inner.join(' AND ')})`);
  }
  const pages = sessionPageFilter(p, scope, scope.filters);
  if (pages) conditions.push(pages);
  return conditions;
}

/**
 * Bounce rate under a page filter counts only the visits that entered on that page (Plausible's rule:
 * a visit that bounced elsewhere did not bounce from this page).
 */
export function bounceEntryCondition(p: SqlParams, scope: Scope): string {
  const pageFilters = scope.filters.filter((f) => f.property === 'event:page');
  if (pageFilters.length === 0) return '1';
  return pageFilters.map((f) => valueCondition(p, 'entry_page', f)).join(' AND ');
}

/** A breakdown key as SQL over `table`, labelled the way results show it. */
export function dimensionExpression(p: SqlParams, ref: PropertyRef, table: Table): string {
  switch (ref.kind) {
    case 'visit':
      if (ref.property === 'visit:country') return `toString(${ref.column})`;
      return ref.column;
    case 'session':
    case 'event':
      return ref.column;
    case 'prop': {
      const k = p.bind(ref.key, 'String');
      return `if(has(prop_keys, ${k}) AND prop_values[indexOf(prop_keys, ${k})] != '', prop_values[indexOf(prop_keys, ${k})], '(none)')`;
    }
    case 'goal':
      throw new Error(`goal breakdowns are built separately (table ${table})`);
  }
}
