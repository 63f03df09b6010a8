/**
 * The dashboard's data calls: the Plausible v1 Stats API parameters, sent to
 * /api/dashboard/sites/:domain/:endpoint, which answers with the same JSON as /api/v1/stats/:endpoint.
 */
export type Period = 'day' | '7d' | '30d' | 'month' | '6mo' | '12mo';
export const PERIODS: { value: Period; label: string }[] = [
  { value: 'day', label: 'Today' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
  { value: 'month', label: 'Month to date' },
  { value: '6mo', label: 'Last 6 months' },
  { value: '12mo', label: 'Last 12 months' },
];

export interface Query {
  period: Period;
  /** v1 filter expressions, e.g. `visit:source==Google`, joined with `;` when sent. */
  filters: string[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface SiteSummary {
  id: number;
  domain: string;
  timezone: string;
  role: string;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  if (res.status === 401) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, 'not logged in');
  }
  const body = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new ApiError(res.status, body.error ?? `HTTP ${res.status}`);
  return body;
}

export async function listSites(): Promise<SiteSummary[]> {
  return (await getJson<{ sites: SiteSummary[] }>('/api/dashboard/sites')).sites;
}

export function queryParams(query: Query, extra: Record<string, string> = {}): URLSearchParams {
  const params = new URLSearchParams({ period: query.period, ...extra });
  if (query.filters.length > 0) params.set('filters', query.filters.join(';'));
  return params;
}

function stats<T>(domain: string, endpoint: string, params: URLSearchParams): Promise<T> {
  return getJson<T>(`/api/dashboard/sites/${encodeURIComponent(domain)}/${endpoint}?${params}`);
}

export interface AggregateValue {
  value: number | null;
  change?: number | null;
}

export const TOP_METRICS = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'] as const;
export type TopMetric = (typeof TOP_METRICS)[number];

export async function aggregate(domain: string, query: Query, metrics: readonly string[]): Promise<Record<string, AggregateValue>> {
  const params = queryParams(query, { metrics: metrics.join(','), compare: 'previous_period' });
  return (await stats<{ results: Record<string, AggregateValue> }>(domain, 'aggregate', params)).results;
}

/** Hours for a day, days up to a month, months beyond. */
export function intervalFor(period: Period): 'hour' | 'date' | 'month' {
  if (period === 'day') return 'hour';
  return period === '6mo' || period === '12mo' ? 'month' : 'date';
}

export type TimeseriesPoint = { date: string; visitors: number | null };

export async function timeseries(domain: string, query: Query): Promise<TimeseriesPoint[]> {
  const params = queryParams(query, { metrics: 'visitors', interval: intervalFor(query.period) });
  return (await stats<{ results: TimeseriesPoint[] }>(domain, 'timeseries', params)).results;
}

export type BreakdownRow = Record<string, string | number | null>;

export async function breakdown(domain: string, query: Query, property: string, metrics: string[], limit = 9): Promise<BreakdownRow[]> {
  const params = queryParams(query, { property, metrics: metrics.join(','), limit: String(limit) });
  return (await stats<{ results: BreakdownRow[] }>(domain, 'breakdown', params)).results;
}

export async function realtimeVisitors(domain: string): Promise<number> {
  return stats<number>(domain, 'realtime/visitors', new URLSearchParams());
}

/** The key of a property in v1 breakdown rows: `visit:source` → `source`, `event:props:plan` → `plan`. */
export function propertyKey(property: string): string {
  return property.split(':').pop() ?? property;
}

export function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';
}
