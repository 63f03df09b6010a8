/**
 * Step 1 of the pipe: the v1 query parameters → a validated StatsQuery, in the order Plausible's
 * controller validates them, with its error messages.
 */
import { z } from 'zod';
import { StatsQueryError } from './errors.js';
import { parseFilters, PROPERTIES_DOCS, type StatsFilter } from './filters.js';
import { isEventOnly, resolveProperty, type PropertyRef } from './properties.js';
import {
  addDays,
  addMonths,
  daysBetween,
  endOfMonth,
  isoDateProblem,
  localDate,
  startOfMonth,
  zonedMidnight,
  type LocalDate,
} from './time.js';

export const METRICS = [
  'visitors',
  'visits',
  'pageviews',
  'views_per_visit',
  'bounce_rate',
  'visit_duration',
  'events',
  'conversion_rate',
] as const;
export type Metric = (typeof METRICS)[number];

export const PERIODS = ['day', '7d', '30d', 'month', '6mo', '12mo', 'custom'] as const;
export type Period = (typeof PERIODS)[number];

/** `date` is Plausible v1's name for a daily interval (`day` is accepted too). */
export const INTERVALS = ['date', 'day', 'month', 'hour'] as const;
export type Interval = 'date' | 'month' | 'hour';

export type StatsEndpoint = 'aggregate' | 'timeseries' | 'breakdown' | 'realtime/visitors';

export interface StatsSite {
  id: number;
  domain: string;
  timezone: string;
}

export interface DateRange {
  /** Local dates in the site's time zone, both included. */
  first: LocalDate;
  last: LocalDate;
}

export interface StatsQuery {
  site: StatsSite;
  endpoint: StatsEndpoint;
  period: Period;
  range: DateRange;
  metrics: Metric[];
  /** Breakdown only. */
  property?: { name: string; ref: PropertyRef };
  filters: StatsFilter[];
  /** Timeseries only. */
  interval: Interval;
  /** Aggregate only: compare=previous_period. */
  compare: boolean;
  limit: number;
  page: number;
  now: Date;
}

export const MAX_BREAKDOWN_LIMIT = 1000;
export const DEFAULT_BREAKDOWN_LIMIT = 100;
/** Hourly buckets beyond a week make an unreadable graph and a very long answer. */
const MAX_HOURLY_DAYS = 7;

const TIME_PERIODS_DOCS = 'https://plausible.io/docs/stats-api#time-periods';
const METRICS_DOCS = 'https://plausible.io/docs/stats-api#metrics';

/** The raw parameters this API reads; anything else (site_id, auth...) is ignored here. */
const paramsSchema = z.object({
  period: z.string().optional(),
  date: z.string().optional(),
  metrics: z.string().optional(),
  property: z.string().optional(),
  filters: z.string().optional(),
  interval: z.string().optional(),
  compare: z.string().optional(),
  limit: z.string().optional(),
  page: z.string().optional(),
});
type RawParams = z.infer<typeof paramsSchema>;

const periodSchema = z.enum(PERIODS, {
  error: (issue) =>
    `Error parsing \`period\` parameter: invalid period \`${String(issue.input)}\`. Please find accepted values in our docs: ${TIME_PERIODS_DOCS}`,
});

const positiveInt = (message: string, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d+$/, { error: message })
    .transform(Number)
    .pipe(z.number().int().min(1, { error: message }).max(max, { error: message }));

const limitSchema = positiveInt(`Please provide limit as a number between 1 and ${MAX_BREAKDOWN_LIMIT}.`, MAX_BREAKDOWN_LIMIT);
const pageSchema = positiveInt('Please provide page as a positive number.');

function check<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new StatsQueryError(parsed.error.issues[0]?.message ?? 'Invalid parameter');
  return parsed.data;
}

/** First value of each parameter, as Phoenix does with repeated keys. */
function rawParams(params: URLSearchParams): RawParams {
  const record: Record<string, string> = {};
  for (const key of Object.keys(paramsSchema.shape)) {
    const value = params.get(key);
    if (value !== null) record[key] = value;
  }
  return paramsSchema.parse(record);
}

export function parseStatsQuery(
  site: StatsSite,
  endpoint: StatsEndpoint,
  params: URLSearchParams,
  now: Date,
): StatsQuery {
  const raw = rawParams(params);
  const today = localDate(now, site.timezone);
  const base = {
    site,
    endpoint,
    filters: [] as StatsFilter[],
    metrics: ['visitors'] as Metric[],
    interval: 'date' as Interval,
    compare: false,
    limit: DEFAULT_BREAKDOWN_LIMIT,
    page: 1,
    now,
  };
  if (endpoint === 'realtime/visitors') {
    return { ...base, period: 'day', range: { first: today, last: today } };
  }

  const period = raw.period === undefined ? '30d' : check(periodSchema, raw.period);
  const range = dateRange(period, raw.date, today);
  const interval = endpoint === 'timeseries' ? parseInterval(raw.interval, period, range) : 'date';
  const property = endpoint === 'breakdown' ? parseProperty(raw.property) : undefined;
  const filters = parseFilters(raw.filters);
  const metrics = parseMetrics(raw.metrics, property?.ref, filters);
  const limit = endpoint === 'breakdown' && raw.limit !== undefined ? check(limitSchema, raw.limit) : DEFAULT_BREAKDOWN_LIMIT;
  const page = endpoint === 'breakdown' && raw.page !== undefined ? check(pageSchema, raw.page) : 1;
  return {
    ...base,
    period,
    range,
    interval,
    ...(property ? { property } : {}),
    filters,
    metrics,
    compare: endpoint === 'aggregate' && raw.compare === 'previous_period',
    limit,
    page,
  };
}

function singleDate(raw: string | undefined, today: LocalDate): LocalDate {
  if (raw === undefined || raw === 'today') return today;
  const problem = isoDateProblem(raw);
  if (problem) {
    throw new StatsQueryError(`Error parsing \`date\` parameter: ${problem}. Please specify a valid date in ISO-8601 format.`);
  }
  return raw;
}

/** The local dates a period covers, as Plausible's v1 query builder computes them. */
export function dateRange(period: Period, rawDate: string | undefined, today: LocalDate): DateRange {
  if (period === 'custom') {
    if (rawDate === undefined) {
      throw new StatsQueryError(`The \`date\` parameter is required when using a custom period. See ${TIME_PERIODS_DOCS}`);
    }
    const parts = rawDate.split(',').map((s) => s.trim());
    const [first, last] = parts;
    if (parts.length !== 2 || !first || !last || isoDateProblem(first) || isoDateProblem(last) || first > last) {
      throw new StatsQueryError(
        `Invalid format for \`date\` parameter. When using a custom period, please include two ISO-8601 formatted dates joined by a comma. See ${TIME_PERIODS_DOCS}`,
      );
    }
    return { first, last };
  }
  const date = singleDate(rawDate, today);
  switch (period) {
    case 'day':
      return { first: date, last: date };
    case '7d':
      return { first: addDays(date, -6), last: date };
    case '30d':
      // Plausible's v1 30d runs from date − 30 to date.
      return { first: addDays(date, -30), last: date };
    case 'month':
      return { first: startOfMonth(date), last: endOfMonth(date) };
    case '6mo':
      return { first: startOfMonth(addMonths(date, -5)), last: endOfMonth(date) };
    case '12mo':
      return { first: startOfMonth(addMonths(date, -11)), last: endOfMonth(date) };
  }
}

function parseInterval(raw: string | undefined, period: Period, range: DateRange): Interval {
  if (raw === undefined) {
    if (period === 'day') return 'hour';
    return period === '6mo' || period === '12mo' ? 'month' : 'date';
  }
  if (!(INTERVALS as readonly string[]).includes(raw)) {
    throw new StatsQueryError(
      `Error parsing \`interval\` parameter: invalid interval \`${raw}\`. Valid intervals are ${INTERVALS.map((i) => `\`${i}\``).join(', ')}`,
    );
  }
  if (raw === 'hour' && daysBetween(range.first, range.last) + 1 > MAX_HOURLY_DAYS) {
    throw new StatsQueryError(
      `Error parsing \`interval\` parameter: the \`hour\` interval is available for periods of up to ${MAX_HOURLY_DAYS} days (\`day\`, \`7d\`, or a short \`custom\` range).`,
    );
  }
  return raw === 'day' ? 'date' : (raw as Interval);
}

function parseProperty(raw: string | undefined): { name: string; ref: PropertyRef } {
  if (raw === undefined) {
    throw new StatsQueryError('The `property` parameter is required. Please provide at least one property to show a breakdown by.');
  }
  if (raw === 'event:hostname') {
    throw new StatsQueryError(
      `Property 'event:hostname' is currently not supported for breakdowns.  Please provide a valid property for the breakdown endpoint: ${PROPERTIES_DOCS}`,
    );
  }
  const ref = resolveProperty(raw);
  if (!ref) {
    throw new StatsQueryError(`Invalid property '${raw}'. Please provide a valid property for the breakdown endpoint: ${PROPERTIES_DOCS}`);
  }
  return { name: raw, ref };
}

const filtersOn = (filters: StatsFilter[], property: string) => filters.some((f) => f.property === property);

function parseMetrics(raw: string | undefined, dimension: PropertyRef | undefined, filters: StatsFilter[]): Metric[] {
  const names = (raw ?? 'visitors').split(',');
  if (new Set(names).size !== names.length) throw new StatsQueryError('Metrics cannot be queried multiple times.');
  return names.map((name) => validateMetric(name, dimension, filters));
}

function validateMetric(name: string, dimension: PropertyRef | undefined, filters: StatsFilter[]): Metric {
  switch (name) {
    case 'visitors':
    case 'pageviews':
    case 'events':
      return name;
    case 'conversion_rate':
      if (dimension?.kind === 'goal' || filtersOn(filters, 'event:goal')) return name;
      throw new StatsQueryError(`Metric \`${name}\` can only be queried in a goal breakdown or with a goal filter`);
    case 'views_per_visit':
      if (filtersOn(filters, 'event:page')) {
        throw new StatsQueryError(`Metric \`${name}\` cannot be queried with a filter on \`event:page\`.`);
      }
      if (dimension) throw new StatsQueryError(`Metric \`${name}\` is not supported in breakdown queries.`);
      return validateSessionMetric(name, dimension, filters);
    case 'visits':
    case 'bounce_rate':
    case 'visit_duration':
      return validateSessionMetric(name, dimension, filters);
    default:
      throw new StatsQueryError(`The metric \`${name}\` is not recognized. Find valid metrics from the documentation: ${METRICS_DOCS}`);
  }
}

function validateSessionMetric(name: Metric, dimension: PropertyRef | undefined, filters: StatsFilter[]): Metric {
  if (dimension && isEventOnly(dimension)) {
    throw new StatsQueryError(`Session metric \`${name}\` cannot be queried for breakdown by \`${dimension.property}\`.`);
  }
  const eventOnly = filters.find((f) => isEventOnly(f.ref));
  if (eventOnly) {
    throw new StatsQueryError(`Session metric \`${name}\` cannot be queried when using a filter on \`${eventOnly.property}\`.`);
  }
  return name;
}

/** The UTC instants [from, to) of a range of local dates. */
export function utcBounds(range: DateRange, timezone: string): { from: Date; to: Date } {
  return { from: zonedMidnight(range.first, timezone), to: zonedMidnight(addDays(range.last, 1), timezone) };
}

/** The period just before: as many days, ending the day before `range` starts. */
export function previousPeriod(range: DateRange): DateRange {
  const days = daysBetween(range.first, range.last) + 1;
  return { first: addDays(range.first, -days), last: addDays(range.last, -days) };
}
