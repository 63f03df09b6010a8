/**
 * What a report says: the period's top numbers with their change against the period before, the top
 * sources and pages — all from runStatsQuery, so a report shows exactly what the Stats API and the
 * dashboard show — rendered as HTML and as plain text.
 */
import { runStatsQuery, type StatsStores } from '../stats/index.js';
import type { Site } from '../sites/sites.js';
import { UserError } from '../cli/errors.js';
import { describeRange, type ReportRange } from './periods.js';

export interface ReportMetric {
  value: number;
  /** Percent change against the previous period (bounce rate: percentage points); null when undefined. */
  change: number | null;
}

export interface ReportNumbers {
  site: { id: number; domain: string; timezone: string };
  range: ReportRange;
  visitors: ReportMetric;
  pageviews: ReportMetric;
  /** Percent. */
  bounceRate: ReportMetric;
  /** Seconds. */
  visitDuration: ReportMetric;
  topSources: { name: string; visitors: number }[];
  topPages: { name: string; visitors: number }[];
}

export const TOP_ROWS = 5;

export function statsParams(range: ReportRange, extra: Record<string, string>): URLSearchParams {
  return new URLSearchParams({ period: 'custom', date: `${range.first},${range.last}`, ...extra });
}

async function query(stores: StatsStores, site: Site, endpoint: 'aggregate' | 'breakdown', params: URLSearchParams) {
  const response = await runStatsQuery(stores, { id: site.id, domain: site.domain, timezone: site.timezone }, endpoint, params);
  if (response.status !== 200) {
    const error = (response.body as { error?: string }).error ?? `HTTP ${response.status}`;
    throw new UserError(`The stats query for the report failed: ${error}`, { code: 'REPORT_QUERY_FAILED' });
  }
  return response.body as { results: unknown };
}

export async function computeReport(stores: StatsStores, site: Site, range: ReportRange): Promise<ReportNumbers> {
  const aggregate = (await query(
    stores,
    site,
    'aggregate',
    statsParams(range, { metrics: 'visitors,pageviews,bounce_rate,visit_duration', compare: 'previous_period' }),
  )) as { results: Record<string, { value: number; change?: number | null }> };
  const metric = (name: string): ReportMetric => ({
    value: Number(aggregate.results[name]?.value ?? 0),
    change: aggregate.results[name]?.change ?? null,
  });
  const breakdown = async (property: string, key: string) => {
    const body = (await query(stores, site, 'breakdown', statsParams(range, { property, metrics: 'visitors', limit: String(TOP_ROWS) }))) as {
      results: Record<string, unknown>[];
    };
    return body.results.map((row) => ({ name: String(row[key]), visitors: Number(row.visitors) }));
  };
  return {
    site: { id: site.id, domain: site.domain, timezone: site.timezone },
    range,
    visitors: metric('visitors'),
    pageviews: metric('pageviews'),
    bounceRate: metric('bounce_rate'),
    visitDuration: metric('visit_duration'),
    topSources: await breakdown('visit:source', 'source'),
    topPages: await breakdown('event:page', 'page'),
  };
}

export interface RenderedReport {
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

const number = (n: number) => n.toLocaleString('en-US');

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** "+12%", "-3%", "±0%"; bounce rate changes are percentage points. */
export function formatChange(change: number | null, unit: '%' | 'pp' = '%'): string {
  if (change === null) return 'n/a';
  const sign = change > 0 ? '+' : change < 0 ? '-' : '±';
  return `${sign}${Math.abs(change)}${unit === 'pp' ? ' pp' : '%'}`;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

export function renderReport(numbers: ReportNumbers, links: { dashboard: string; unsubscribe: string }): RenderedReport {
  const label = numbers.range.period === 'week' ? 'Weekly' : 'Monthly';
  const when = describeRange(numbers.range);
  const subject = `${label} report for ${numbers.site.domain}: ${when}`;
  const headline: [string, string, string][] = [
    ['Visitors', number(numbers.visitors.value), formatChange(numbers.visitors.change)],
    ['Pageviews', number(numbers.pageviews.value), formatChange(numbers.pageviews.change)],
    ['Bounce rate', `${numbers.bounceRate.value}%`, formatChange(numbers.bounceRate.change, 'pp')],
    ['Visit duration', formatDuration(numbers.visitDuration.value), formatChange(numbers.visitDuration.change)],
  ];
  const tables: [string, string, { name: string; visitors: number }[]][] = [
    ['Top sources', 'Source', numbers.topSources],
    ['Top pages', 'Page', numbers.topPages],
  ];

  const text = [
    subject,
    `(${numbers.range.first} to ${numbers.range.last}, ${numbers.site.timezone}; change against the ${numbers.range.period} before)`,
    '',
    ...headline.map(([name, value, change]) => `${`${name}:`.padEnd(16)}${value.padEnd(10)} (${change})`),
    ...tables.flatMap(([title, , rows]) => [
      '',
      `${title}:`,
      ...(rows.length ? rows.map((r) => `  ${number(r.visitors).padStart(8)}  ${r.name}`) : ['  (none)']),
    ]),
    '',
    `Dashboard: ${links.dashboard}`,
    `Unsubscribe: ${links.unsubscribe}`,
    '',
  ].join('\n');

  const cell = 'padding:6px 12px;border-bottom:1px solid #eee';
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#222;max-width:600px;margin:0 auto;padding:16px">
<h1 style="font-size:20px">${escapeHtml(label)} report for ${escapeHtml(numbers.site.domain)}</h1>
<p style="color:#666">${escapeHtml(when)} (${numbers.range.first} to ${numbers.range.last}, ${escapeHtml(numbers.site.timezone)}); change against the ${numbers.range.period} before</p>
<table style="border-collapse:collapse;width:100%">
${headline.map(([name, value, change]) => `<tr><td style="${cell}">${name}</td><td style="${cell};font-weight:bold" data-metric="${escapeHtml(name)}">${escapeHtml(value)}</td><td style="${cell};color:#666">${escapeHtml(change)}</td></tr>`).join('\n')}
</table>
${tables
  .map(
    ([title, column, rows]) => `<h2 style="font-size:16px;margin-top:24px">${title}</h2>
<table style="border-collapse:collapse;width:100%"><tr><th style="${cell};text-align:left">${column}</th><th style="${cell};text-align:right">Visitors</th></tr>
${rows.length ? rows.map((r) => `<tr><td style="${cell}">${escapeHtml(r.name)}</td><td style="${cell};text-align:right">${number(r.visitors)}</td></tr>`).join('\n') : `<tr><td style="${cell}" colspan="2">(none)</td></tr>`}
</table>`,
  )
  .join('\n')}
<p style="margin-top:24px"><a href="${escapeHtml(links.dashboard)}">Open the dashboard</a></p>
<p style="color:#999;font-size:12px">You get this because you subscribed to ${label.toLowerCase()} reports for ${escapeHtml(numbers.site.domain)}. <a href="${escapeHtml(links.unsubscribe)}">Unsubscribe</a></p>
</body></html>
`;
  return {
    subject,
    text,
    html,
    // RFC 8058 one-click unsubscribe: mail clients show their own button for it.
    headers: { 'List-Unsubscribe': `<${links.unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  };
}

export function unsubscribeUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/reports/unsubscribe/${encodeURIComponent(token)}`;
}

export function dashboardUrl(baseUrl: string, domain: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/sites/${encodeURIComponent(domain)}`;
}
