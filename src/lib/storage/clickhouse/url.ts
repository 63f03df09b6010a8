import { StoreUnreachableError } from '../errors.js';

export const DEFAULT_CLICKHOUSE_DATABASE = 'analytics';

export interface ClickHouseUrlParts {
  /** scheme://host:port, without credentials or path. */
  origin: string;
  /** host:port, for messages. */
  address: string;
  database: string;
  username: string;
  password: string;
}

/**
 * Parses CLICKHOUSE_URL (http(s)://user:password@host:8123/database). The database comes from the
 * path (default `analytics`); explicit user/password options override the URL's.
 */
export function parseClickHouseUrl(
  url: string,
  credentials: { user?: string; password?: string } = {},
): ClickHouseUrlParts {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidUrl('<invalid URL>', 'CLICKHOUSE_URL is not a valid URL (expected http://host:8123/analytics)');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalidUrl(
      parsed.host || '<no host>',
      `CLICKHOUSE_URL must use http:// or https:// (the HTTP interface, port 8123/8443), got ${parsed.protocol}//`,
    );
  }
  const port = parsed.port || (parsed.protocol === 'https:' ? '8443' : '8123');
  const address = `${parsed.hostname}:${port}`;
  const database = decodeURIComponent(parsed.pathname.replace(/^\/+|\/+$/g, '')) || DEFAULT_CLICKHOUSE_DATABASE;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    throw invalidUrl(address, `the database name in CLICKHOUSE_URL (${JSON.stringify(database)}) must use letters, digits and underscores only`);
  }
  return {
    // WHATWG URL keeps IPv6 hostnames bracketed, so this is a valid origin as is.
    origin: `${parsed.protocol}//${parsed.hostname}:${port}`,
    address,
    database,
    username: credentials.user ?? (decodeURIComponent(parsed.username) || 'default'),
    password: credentials.password ?? decodeURIComponent(parsed.password),
  };
}

function invalidUrl(host: string, cause: string): StoreUnreachableError {
  return new StoreUnreachableError({ store: 'clickhouse', host, reason: 'invalid-url', cause });
}
