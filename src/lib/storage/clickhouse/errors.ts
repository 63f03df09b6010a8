import { EmbeddedStoreInUseError, StoreQueryError, StoreUnreachableError, type UnreachableReason } from '../errors.js';
import { NETWORK_REASONS, errorMessage } from '../network-reasons.js';

interface ErrorLike {
  code?: unknown;
  clickhouseCode?: unknown;
  message?: unknown;
  errors?: unknown;
}


/** ClickHouse server error codes meaning "cannot use this server/database as configured". */
const SERVER_CODE_REASONS: Record<string, UnreachableReason> = {
  '81': 'database-missing', // UNKNOWN_DATABASE
  '192': 'auth-failed', // UNKNOWN_USER
  '193': 'auth-failed', // WRONG_PASSWORD
  '194': 'auth-failed', // REQUIRED_PASSWORD
  '516': 'auth-failed', // AUTHENTICATION_FAILED
  '497': 'auth-failed', // ACCESS_DENIED
};

function networkCode(error: unknown): string | undefined {
  const e = error as ErrorLike | undefined;
  if (e && typeof e.code === 'string' && NETWORK_REASONS[e.code]) return e.code;
  if (e && Array.isArray(e.errors) && e.errors.length > 0) return networkCode(e.errors[0]);
  return undefined;
}

/** The ClickHouse error code as a string ('60'), from @clickhouse/client (code) or chDB (clickhouseCode). */
function serverCode(error: unknown): string | undefined {
  const e = error as ErrorLike | undefined;
  if (!e) return undefined;
  if (typeof e.clickhouseCode === 'number') return String(e.clickhouseCode);
  if (typeof e.code === 'string' && /^\d+$/.test(e.code)) return e.code;
  const fromMessage = typeof e.message === 'string' ? /Code: (\d+)\./.exec(e.message) : null;
  return fromMessage?.[1];
}

function describeCause(reason: UnreachableReason, message: string, address: string, database: string): string {
  switch (reason) {
    case 'connection-refused':
      return `connection refused (is ClickHouse running with its HTTP interface on ${address}?)`;
    case 'host-not-found':
      return `host not found (${message})`;
    case 'timeout':
      return `request timed out (${message})`;
    case 'database-missing':
      return `database "${database}" does not exist (create it with: analytics db createdb)`;
    case 'auth-failed':
      return `authentication failed (check the user and password in CLICKHOUSE_URL): ${firstLine(message)}`;
    case 'tls':
      return `TLS negotiation failed: ${message}`;
    default:
      return firstLine(message);
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/**
 * Connection and auth problems → StoreUnreachableError; the rest → StoreQueryError. A missing
 * database counts as unreachable only while connecting (a query may name another database).
 */
export function toClickHouseError(
  error: unknown,
  target: { address: string; database: string },
  phase: 'connect' | 'query' = 'query',
): Error {
  if (
    error instanceof StoreUnreachableError ||
    error instanceof StoreQueryError ||
    error instanceof EmbeddedStoreInUseError
  ) {
    return error;
  }
  const message = errorMessage(error);
  const network = networkCode(error);
  const code = serverCode(error);
  let reason: UnreachableReason | undefined = network ? NETWORK_REASONS[network] : undefined;
  if (!reason && code && (phase === 'connect' || SERVER_CODE_REASONS[code] === 'auth-failed')) {
    reason = SERVER_CODE_REASONS[code];
  }
  if (!reason && /^Timeout error\.?$/.test(message)) reason = 'timeout';
  if (!reason && /socket hang up|Invalid URL|TLS|certificate/i.test(message) && !code) reason = 'other';
  if (reason) {
    return new StoreUnreachableError({
      store: 'clickhouse',
      host: target.address,
      reason,
      cause: describeCause(reason, message, target.address, target.database),
      originalError: error,
    });
  }
  return new StoreQueryError({ store: 'clickhouse', message: message.trim(), code, originalError: error });
}
