/**
 * The flusher's sink for ClickHouse (server or chDB): rows of `events` and `sessions`
 * (migrations/clickhouse/0001, 0002) inserted with the flusher's deduplication token.
 *
 * Both tables set `non_replicated_deduplication_window`, and the store sends the token with
 * `insert_deduplicate=1, async_insert=0` (an asynchronous insert would bypass deduplication).
 * Verified on chDB: a block repeated with its token is dropped, also when it spans partitions and
 * after the data directory is closed and reopened (test/lib/spool/replay.test.ts).
 */
import type { EnrichedEvent } from '../ingest/pipeline.js';
import type { SessionRow } from '../ingest/session.js';
import type { ClickHouseStore } from '../storage/clickhouse/types.js';
import type { SinkInsertOptions, SpoolSink } from './sink.js';

export function createClickHouseSink(store: ClickHouseStore): SpoolSink {
  return {
    insertEvents: (rows: readonly EnrichedEvent[], options: SinkInsertOptions) =>
      store.insert('events', rows.map(toEventRow), { deduplicationToken: options.deduplicationToken }),
    insertSessions: (rows: readonly SessionRow[], options: SinkInsertOptions) =>
      store.insert('sessions', rows.map(toSessionRow), { deduplicationToken: options.deduplicationToken }),
  };
}

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
