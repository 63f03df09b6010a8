import { StoreQueryError, StoreUnreachableError, type UnreachableReason } from '../errors.js';
import { NETWORK_REASONS, errorMessage } from '../network-reasons.js';

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  errors?: unknown;
}


/** SQLSTATEs that mean "cannot use this server/database" rather than "this query is wrong". */
function reasonForSqlState(code: string): UnreachableReason | undefined {
  if (code === '28P01' || code === '28000') return 'auth-failed';
  if (code === '3D000') return 'database-missing';
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') {
    return 'other';
  }
  return undefined;
}

function codeOf(error: unknown): string | undefined {
  const e = error as ErrorLike | undefined;
  if (e && typeof e.code === 'string') return e.code;
  // Node's happy-eyeballs connect reports an AggregateError of per-address failures.
  if (e && Array.isArray(e.errors) && e.errors.length > 0) return codeOf(e.errors[0]);
  return undefined;
}

function unreachableReason(error: unknown): UnreachableReason | undefined {
  const code = codeOf(error);
  if (code && NETWORK_REASONS[code]) return NETWORK_REASONS[code];
  if (code && /^[0-9A-Z]{5}$/.test(code)) return reasonForSqlState(code);
  const message = errorMessage(error);
  if (/timeout expired|timed out/i.test(message)) return 'timeout';
  if (/does not support SSL|SSL|certificate/i.test(message)) return 'tls';
  if (/Connection terminated|connection.*closed|Client has encountered a connection error/i.test(message)) return 'other';
  return undefined;
}

function describeCause(reason: UnreachableReason, error: unknown, address: string, database: string): string {
  const message = errorMessage(error);
  switch (reason) {
    case 'connection-refused':
      return `connection refused (is PostgreSQL running and listening on ${address}?)`;
    case 'host-not-found':
      return `host not found (${message})`;
    case 'timeout':
      return `connection timed out (${message})`;
    case 'database-missing':
      return `database "${database}" does not exist (create it with: analytics db createdb)`;
    case 'auth-failed':
      return `authentication failed: ${message}`;
    case 'tls':
      return `TLS negotiation failed: ${message} (check DATABASE_TLS_ENABLED and the server's certificate)`;
    default:
      return message;
  }
}

/**
 * Turns a driver error into a typed storage error: connection/auth/database-missing problems become
 * StoreUnreachableError, everything else a StoreQueryError carrying the SQLSTATE.
 */
export function toPostgresError(error: unknown, target: { address: string; database: string }): Error {
  if (error instanceof StoreUnreachableError || error instanceof StoreQueryError) return error;
  const reason = unreachableReason(error);
  if (reason) {
    return new StoreUnreachableError({
      store: 'postgres',
      host: target.address,
      reason,
      cause: describeCause(reason, error, target.address, target.database),
      originalError: error,
    });
  }
  return new StoreQueryError({
    store: 'postgres',
    message: errorMessage(error),
    code: codeOf(error),
    originalError: error,
  });
}
