import type { ClickHouseInsertOptions } from './types.js';

/**
 * Applied to every connection so both transports behave alike: 64-bit integers as JSON strings
 * (UInt64 user ids survive JSON.parse), paths without escaped slashes in JSON text, and DateTime
 * columns accepting ISO-8601 text, which is what a JS Date becomes in a JSONEachRow insert.
 */
export const CONNECTION_SETTINGS = {
  output_format_json_quote_64bit_integers: 1,
  output_format_json_escape_forward_slashes: 0,
  date_time_input_format: 'best_effort',
} as const;

/**
 * Per-insert settings. A deduplication token only works on synchronous inserts: chDB (and servers
 * configured so) default to async_insert=1, whose buffer would defeat the token.
 */
export function insertSettings(options: ClickHouseInsertOptions | undefined): Record<string, string | number> {
  if (!options?.deduplicationToken) return {};
  return {
    insert_deduplication_token: options.deduplicationToken,
    insert_deduplicate: 1,
    async_insert: 0,
  };
}
