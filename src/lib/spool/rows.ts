/**
 * Spooled rows in the shape ClickHouse takes them (migrations/clickhouse/0001 events, 0002 sessions),
 * made once when a request is appended: the spool stores each as a JSONEachRow line, so the flusher
 * sends the stored bytes as they are instead of parsing and re-serialising every row.
 */
import type { EnrichedEvent } from '../ingest/pipeline.js';
import type { SessionRow } from '../ingest/session.js';

export type SpoolTable = 'events' | 'sessions';

/**
 * DateTime columns take a whole number of Unix seconds as-is in JSONEachRow: no time zone is involved,
 * whereas a 'YYYY-MM-DD hh:mm:ss' string would be read in the server's time zone.
 */
function dateTime(unixSeconds: number): number {
  return Math.floor(unixSeconds);
}

/**
 * `country_code` is FixedString(2): a longer value fails the whole insert, and a row ClickHouse will
 * never accept would block the spool forever. Anything but two letters is stored as unknown.
 */
function countryCode(code: string): string {
  return /^[A-Za-z]{2}$/.test(code) ? code.toUpperCase() : '';
}

export function toEventRow(event: EnrichedEvent): Record<string, unknown> {
  return {
    timestamp: dateTime(event.timestamp),
    site_id: event.site_id,
    name: event.name,
    user_id: event.user_id.toString(),
    session_id: event.session_id.toString(),
    hostname: event.hostname,
    pathname: event.pathname,
    referrer: event.referrer,
    referrer_source: event.referrer_source,
    utm_medium: event.utm_medium,
    utm_source: event.utm_source,
    utm_campaign: event.utm_campaign,
    utm_content: event.utm_content,
    utm_term: event.utm_term,
    country_code: countryCode(event.country_code),
    browser: event.browser,
    browser_version: event.browser_version,
    os: event.os,
    os_version: event.os_version,
    device: event.device,
    prop_keys: event.prop_keys,
    prop_values: event.prop_values,
  };
}

export function toSessionRow(session: SessionRow): Record<string, unknown> {
  return {
    session_id: session.session_id.toString(),
    site_id: session.site_id,
    user_id: session.user_id.toString(),
    sign: session.sign,
    version: session.version,
    start: dateTime(session.start),
    timestamp: dateTime(session.timestamp),
    duration: session.duration,
    pageviews: session.pageviews,
    events: session.events,
    is_bounce: session.is_bounce,
    hostname: session.hostname,
    entry_page: session.entry_page,
    exit_page: session.exit_page,
    referrer: session.referrer,
    referrer_source: session.referrer_source,
    utm_medium: session.utm_medium,
    utm_source: session.utm_source,
    utm_campaign: session.utm_campaign,
    utm_content: session.utm_content,
    utm_term: session.utm_term,
    country_code: countryCode(session.country_code),
    browser: session.browser,
    browser_version: session.browser_version,
    os: session.os,
    os_version: session.os_version,
    device: session.device,
  };
}

/** JSONEachRow text (one row per line) for rows of a table, as the spool would store them. */
export function encodeRows(table: 'events', rows: readonly EnrichedEvent[]): Buffer;
export function encodeRows(table: 'sessions', rows: readonly SessionRow[]): Buffer;
export function encodeRows(table: SpoolTable, rows: readonly (EnrichedEvent | SessionRow)[]): Buffer {
  const toRow = table === 'events' ? (row: unknown) => toEventRow(row as EnrichedEvent) : (row: unknown) => toSessionRow(row as SessionRow);
  return Buffer.from(rows.map((row) => `${JSON.stringify(toRow(row))}\n`).join(''), 'utf8');
}
