/**
 * Spooled rows in the shape ClickHouse takes them (migrations/clickhouse/0001 events, 0002 sessions),
 * made once when a request is appended: the spool stores each as a JSONCompactEachRow line (values in
 * the order of SPOOL_COLUMNS), so the flusher sends the stored bytes as they are instead of parsing and
 * re-serialising every row. Inserts name the columns, so a column added later takes its default.
 *
 * Format-2 spools stored JSONEachRow objects; `compactFromObjectRow` converts those when replayed.
 */
import type { EnrichedEvent } from '../ingest/pipeline.js';
import type { SessionRow } from '../ingest/session.js';
import { LruMap } from '../ingest/lru.js';

export type SpoolTable = 'events' | 'sessions';

/** The ClickHouse format of every stored row. */
export const SPOOL_ROW_FORMAT = 'JSONCompactEachRow';

export const SPOOL_COLUMNS: Readonly<Record<SpoolTable, readonly string[]>> = {
  events: [
    'timestamp', 'site_id', 'name', 'user_id', 'session_id', 'hostname', 'pathname', 'referrer', 'referrer_source',
    'utm_medium', 'utm_source', 'utm_campaign', 'utm_content', 'utm_term', 'country_code', 'browser',
    'browser_version', 'os', 'os_version', 'device', 'prop_keys', 'prop_values',
  ],
  sessions: [
    'session_id', 'site_id', 'user_id', 'sign', 'version', 'start', 'timestamp', 'duration', 'pageviews', 'events',
    'is_bounce', 'hostname', 'entry_page', 'exit_page', 'referrer', 'referrer_source', 'utm_medium', 'utm_source',
    'utm_campaign', 'utm_content', 'utm_term', 'country_code', 'browser', 'browser_version', 'os', 'os_version',
    'device',
  ],
};

/**
 * DateTime columns take a whole number of Unix seconds as-is: no time zone is involved, whereas a
 * 'YYYY-MM-DD hh:mm:ss' string would be read in the server's time zone.
 */
function dateTime(unixSeconds: number): number {
  return Math.floor(unixSeconds);
}

/**
 * `country_code` is FixedString(2): a longer value fails the whole insert, and a row ClickHouse will
 * never accept would block the spool forever. Anything but two letters is stored as unknown.
 */
function countryCode(code: string): string {
  return code.length === 2 && /^[A-Za-z]{2}$/.test(code) ? code.toUpperCase() : '';
}

// The encoders below write each value with JSON.stringify (strings) or as a plain number: one template
// per row is several times cheaper than building an object and stringifying it, on the hot path of
// every accepted request. UInt64 ids are written as decimal strings, which ClickHouse reads into UInt64
// and JSON.parse keeps exact. Keep them in the order of SPOOL_COLUMNS.
// Most attribution columns are empty: skip the JSON call for those.
const str = (value: string): string => (value === '' ? '""' : JSON.stringify(value));

/**
 * The LowCardinality columns (browser, OS, country, source...) repeat the same few values on nearly
 * every row: their JSON is looked up instead of made again, saving most of the encoding work.
 */
const lowCardinalityJson = new LruMap<string, string>(4096);
function low(value: string): string {
  if (value === '') return '""';
  let json = lowCardinalityJson.get(value);
  if (json === undefined) {
    json = JSON.stringify(value);
    lowCardinalityJson.set(value, json);
  }
  return json;
}

export function eventRowJson(event: EnrichedEvent): string {
  return `[${dateTime(event.timestamp)},${event.site_id},${low(event.name)},"${event.user_id}","${event.session_id}",${low(event.hostname)},${str(event.pathname)},${str(event.referrer)},${low(event.referrer_source)},${low(event.utm_medium)},${low(event.utm_source)},${str(event.utm_campaign)},${str(event.utm_content)},${str(event.utm_term)},"${countryCode(event.country_code)}",${low(event.browser)},${low(event.browser_version)},${low(event.os)},${low(event.os_version)},${low(event.device)},${event.prop_keys.length === 0 ? '[]' : JSON.stringify(event.prop_keys)},${event.prop_values.length === 0 ? '[]' : JSON.stringify(event.prop_values)}]`;
}

export function sessionRowJson(session: SessionRow): string {
  return `["${session.session_id}",${session.site_id},"${session.user_id}",${session.sign},${session.version},${dateTime(session.start)},${dateTime(session.timestamp)},${session.duration},${session.pageviews},${session.events},${session.is_bounce},${low(session.hostname)},${str(session.entry_page)},${str(session.exit_page)},${str(session.referrer)},${low(session.referrer_source)},${low(session.utm_medium)},${low(session.utm_source)},${str(session.utm_campaign)},${str(session.utm_content)},${str(session.utm_term)},"${countryCode(session.country_code)}",${low(session.browser)},${low(session.browser_version)},${low(session.os)},${low(session.os_version)},${low(session.device)}]`;
}

/** A format-2 row (a JSONEachRow object as stored then) as the compact row stored now. */
export function compactFromObjectRow(table: SpoolTable, row: Record<string, unknown>): string {
  return JSON.stringify(SPOOL_COLUMNS[table].map((column) => row[column]));
}

/** Stored-format text (one row per line) for rows of a table, as the spool would store them. */
export function encodeRows(table: 'events', rows: readonly EnrichedEvent[]): Buffer;
export function encodeRows(table: 'sessions', rows: readonly SessionRow[]): Buffer;
export function encodeRows(table: SpoolTable, rows: readonly (EnrichedEvent | SessionRow)[]): Buffer {
  const toJson = table === 'events' ? (row: unknown) => eventRowJson(row as EnrichedEvent) : (row: unknown) => sessionRowJson(row as SessionRow);
  return Buffer.from(rows.map((row) => `${toJson(row)}\n`).join(''), 'utf8');
}
