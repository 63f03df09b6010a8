import { StoreUnreachableError } from '../errors.js';

export interface PostgresUrlParts {
  host: string;
  port: number;
  database: string;
  user: string;
  /** host:port, for messages; never contains credentials. */
  address: string;
}

/** Parses DATABASE_URL (postgres:// or postgresql://); a bad URL is a StoreUnreachableError (exit 3). */
export function parsePostgresUrl(url: string): PostgresUrlParts {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidUrl('<invalid URL>', 'DATABASE_URL is not a valid URL (expected postgres://user:password@host:5432/dbname)');
  }
  const hostForMessage = parsed.host || '<no host>';
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw invalidUrl(hostForMessage, `DATABASE_URL must start with postgres:// or postgresql://, got ${parsed.protocol}//`);
  }
  // A Unix socket directory may be given as ?host=/run/postgresql with an empty URL host.
  const socketHost = parsed.searchParams.get('host');
  const host = decodeURIComponent(parsed.hostname) || socketHost || 'localhost';
  const port = parsed.port ? Number(parsed.port) : 5432;
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database) {
    throw invalidUrl(`${host}:${port}`, 'DATABASE_URL has no database name in its path (postgres://host:5432/dbname)');
  }
  return {
    host,
    port,
    database,
    user: decodeURIComponent(parsed.username) || 'postgres',
    address: `${host}:${port}`,
  };
}

/** The same server URL pointing at another database (e.g. the `postgres` maintenance database). */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** A double-quoted SQL identifier; embedded quotes are doubled. */
export function quoteIdentifier(name: string): string {
  if (name.includes('\0')) throw new TypeError('an SQL identifier cannot contain a NUL byte');
  return `"${name.replaceAll('"', '""')}"`;
}

function invalidUrl(host: string, cause: string): StoreUnreachableError {
  return new StoreUnreachableError({ store: 'postgres', host, reason: 'invalid-url', cause });
}
