/**
 * Calendar arithmetic on local dates (YYYY-MM-DD strings, no time zone) and the conversion of a site's
 * local midnight to a UTC instant. Dates are handled as UTC midnights internally so that adding days
 * never crosses a daylight-saving change.
 */

export type LocalDate = string;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** undefined when `text` is a valid calendar date; else the reason Elixir's Date.from_iso8601 gives. */
export function isoDateProblem(text: string): 'invalid_format' | 'invalid_date' | undefined {
  const match = ISO_DATE.exec(text);
  if (!match) return 'invalid_format';
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d ? undefined : 'invalid_date';
}

const toUtcMidnight = (date: LocalDate): Date => new Date(`${date}T00:00:00Z`);
const fromUtcMidnight = (date: Date): LocalDate => date.toISOString().slice(0, 10);

export function addDays(date: LocalDate, days: number): LocalDate {
  const d = toUtcMidnight(date);
  d.setUTCDate(d.getUTCDate() + days);
  return fromUtcMidnight(d);
}

/** Adds months, clamping to the last day of a shorter month (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(date: LocalDate, months: number): LocalDate {
  const d = toUtcMidnight(date);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, lastDay));
  return fromUtcMidnight(d);
}

export const startOfMonth = (date: LocalDate): LocalDate => `${date.slice(0, 7)}-01`;

export function endOfMonth(date: LocalDate): LocalDate {
  const d = toUtcMidnight(startOfMonth(date));
  return fromUtcMidnight(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)));
}

/** Whole days from `from` to `to` (to − from). */
export function daysBetween(from: LocalDate, to: LocalDate): number {
  return Math.round((toUtcMidnight(to).getTime() - toUtcMidnight(from).getTime()) / 86_400_000);
}

/** Every date from `first` to `last`, both included. */
export function eachDate(first: LocalDate, last: LocalDate): LocalDate[] {
  const dates: LocalDate[] = [];
  for (let d = first; d <= last; d = addDays(d, 1)) dates.push(d);
  return dates;
}

/** The first day of every month that overlaps first..last. */
export function eachMonth(first: LocalDate, last: LocalDate): LocalDate[] {
  const months: LocalDate[] = [];
  for (let m = startOfMonth(first); m <= last; m = addMonths(m, 1)) months.push(m);
  return months;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** The wall-clock time of `instant` in `timezone` as 'YYYY-MM-DD HH:MM:SS'. */
export function localDateTime(instant: Date, timezone: string): string {
  const parts = Object.fromEntries(formatter(timezone).formatToParts(instant).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

export const localDate = (instant: Date, timezone: string): LocalDate => localDateTime(instant, timezone).slice(0, 10);

/** Milliseconds the zone is ahead of UTC at `instant`. */
function offsetAt(instant: Date, timezone: string): number {
  const wall = localDateTime(instant, timezone);
  return new Date(`${wall.replace(' ', 'T')}Z`).getTime() - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The UTC instant of local midnight starting `date` in `timezone`. When midnight does not exist
 * (a DST gap at 00:00), the first instant of that day.
 */
export function zonedMidnight(date: LocalDate, timezone: string): Date {
  const guess = toUtcMidnight(date).getTime();
  let instant = guess - offsetAt(new Date(guess), timezone);
  // A second pass settles days whose offset differs from the guess's (DST changes near midnight).
  instant = guess - offsetAt(new Date(instant), timezone);
  if (localDate(new Date(instant), timezone) < date) instant += 3_600_000;
  return new Date(instant);
}

/** 'YYYY-MM-DD HH:MM:SS' in UTC: how DateTime('UTC') query parameters are passed. */
export const utcDateTime = (instant: Date): string => instant.toISOString().slice(0, 19).replace('T', ' ');
