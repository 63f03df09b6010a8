/**
 * Spooled rows in the shape ClickHouse takes them (migrations/clickhouse/0001 events, 0002 sessions),
 * made once when a request is appended: the spool stores each as a JSONCompactEachRow line (values in
 * the order of SPOOL_COLUMNS), so the flusher sends the stored bytes as they are instead of parsing and
 * re-serialising every row. Inserts name the columns, so a column added later takes its default.
 *
 * Format-2 spools stored JSONEachRow objects; `compactFromObjectRow` converts those when replayed.
 */
import type { EnrichedEvent } from '../ingest/pipeline.js';
import type { SessionRow, VisitAttributes } from '../ingest/session.js';
import { JsonRowWriter } from './json-row-writer.js';

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
  if (code.length !== 2) return '';
  const first = code.charCodeAt(0);
  const second = code.charCodeAt(1);
  // The pipeline's codes are upper case already: no new string for them.
  if (isUpperAscii(first) && isUpperAscii(second)) return code;
  return isAsciiLetter(first) && isAsciiLetter(second) ? code.toUpperCase() : '';
}

function isUpperAscii(code: number): boolean {
  return code >= 0x41 && code <= 0x5a;
}

function isAsciiLetter(code: number): boolean {
  return isUpperAscii(code) || (code >= 0x61 && code <= 0x7a);
}

// The writers below write each column straight into the record's bytes (json-row-writer.ts), in the
// order of SPOOL_COLUMNS: on the hot path of every accepted request, an object per row handed to
// JSON.stringify, or a template string per row, cost several times more and allocated kilobytes.

/** The attribution and device columns, in the same order on both tables (after pathname / exit_page). */
function writeVisitAttributes(out: JsonRowWriter, visit: VisitAttributes): void {
  out.string(visit.referrer);
  out.string(visit.referrer_source);
  out.string(visit.utm_medium);
  out.string(visit.utm_source);
  out.string(visit.utm_campaign);
  out.string(visit.utm_content);
  out.string(visit.utm_term);
  out.string(countryCode(visit.country_code));
  out.string(visit.browser);
  out.string(visit.browser_version);
  out.string(visit.os);
  out.string(visit.os_version);
  out.string(visit.device);
}

export function writeEventRow(out: JsonRowWriter, event: EnrichedEvent): void {
  out.open();
  out.integer(dateTime(event.timestamp));
  out.integer(event.site_id);
  out.string(event.name);
  out.quotedBigint(event.user_id);
  out.quotedBigint(event.session_id);
  out.string(event.hostname);
  out.string(event.pathname);
  writeVisitAttributes(out, event);
  out.stringArray(event.prop_keys);
  out.stringArray(event.prop_values);
  out.close();
}

export function writeSessionRow(out: JsonRowWriter, session: SessionRow): void {
  out.open();
  out.quotedBigint(session.session_id);
  out.integer(session.site_id);
  out.quotedBigint(session.user_id);
  out.integer(session.sign);
  out.integer(session.version);
  out.integer(dateTime(session.start));
  out.integer(dateTime(session.timestamp));
  out.integer(session.duration);
  out.integer(session.pageviews);
  out.integer(session.events);
  out.integer(session.is_bounce);
  out.string(session.hostname);
  out.string(session.entry_page);
  out.string(session.exit_page);
  writeVisitAttributes(out, session);
  out.close();
}

/** One row's JSON as text (tests, conversions); the spool writes rows with writeEventRow/writeSessionRow. */
export function eventRowJson(event: EnrichedEvent): string {
  const out = new JsonRowWriter(512);
  writeEventRow(out, event);
  return out.view().toString('utf8');
}

export function sessionRowJson(session: SessionRow): string {
  const out = new JsonRowWriter(512);
  writeSessionRow(out, session);
  return out.view().toString('utf8');
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
