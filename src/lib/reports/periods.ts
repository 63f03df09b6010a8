/** Report periods in the site's time zone: weeks run Monday to Sunday, months are calendar months. */
export type ReportPeriod = 'week' | 'month';
export const REPORT_PERIODS: readonly ReportPeriod[] = ['week', 'month'];

export interface ReportRange {
  period: ReportPeriod;
  /** Local dates (YYYY-MM-DD), both included. */
  first: string;
  last: string;
}

/** Today's date in a time zone, as YYYY-MM-DD. */
export function localDate(now: Date, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

const asUtc = (date: string) => new Date(`${date}T00:00:00Z`);
const iso = (d: Date) => d.toISOString().slice(0, 10);

export function addDays(date: string, days: number): string {
  const d = asUtc(date);
  d.setUTCDate(d.getUTCDate() + days);
  return iso(d);
}

/** The last period that has fully ended in the site's time zone: last week (Mon–Sun) or last month. */
export function lastCompletedPeriod(period: ReportPeriod, timezone: string, now: Date): ReportRange {
  const today = localDate(now, timezone);
  if (period === 'week') {
    const weekday = (asUtc(today).getUTCDay() + 6) % 7; // Monday = 0
    const thisMonday = addDays(today, -weekday);
    return { period, first: addDays(thisMonday, -7), last: addDays(thisMonday, -1) };
  }
  const d = asUtc(today);
  const firstOfThisMonth = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
  const firstOfLastMonth = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1));
  return { period, first: iso(firstOfLastMonth), last: addDays(iso(firstOfThisMonth), -1) };
}

/** "week of 10 Nov 2026" / "October 2026", for subjects and headings. */
export function describeRange(range: ReportRange): string {
  const first = asUtc(range.first);
  if (range.period === 'month') {
    return first.toLocaleDateString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  }
  const fmt = (d: Date) => d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  return `${fmt(first)} – ${fmt(asUtc(range.last))}`;
}
