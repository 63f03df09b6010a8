import { DataDirLockedError, EmbeddedStoreInUseError, StoreQueryError, StoreUnreachableError } from '../storage/errors.js';
import { AnalyticsError, ExitCode, ServiceUnreachableError, UsageError, UserError } from './errors.js';

interface OclifLikeError extends Error {
  oclif?: { exit?: number };
}

const NEXT_STEP_FOR_UNREACHABLE: Record<string, string> = {
  'database-missing': 'analytics db createdb',
  'auth-failed': 'check the user and password in DATABASE_URL / CLICKHOUSE_URL (analytics env show)',
  'invalid-url': 'analytics env check',
};

/**
 * Any thrown value → the AnalyticsError the user sees; undefined means a bug. Parser errors from
 * oclif (unknown flag, missing argument, bad option) are usage errors, exit code 2.
 */
export function toAnalyticsError(err: unknown): AnalyticsError | undefined {
  if (err instanceof AnalyticsError) return err;
  if (err instanceof StoreUnreachableError) {
    const label = err.store === 'postgres' ? 'PostgreSQL' : 'ClickHouse';
    return new ServiceUnreachableError(label, err.host, err.cause, {
      actions: [NEXT_STEP_FOR_UNREACHABLE[err.reason] ?? `check that ${label} is running and reachable at ${err.host}`],
    });
  }
  if (err instanceof DataDirLockedError || err instanceof EmbeddedStoreInUseError) {
    return new UserError(err.message, { code: 'DATA_DIR_IN_USE' });
  }
  if (err instanceof StoreQueryError) {
    return new UserError(`${err.store === 'postgres' ? 'PostgreSQL' : 'ClickHouse'} refused a statement: ${err.message}`, {
      code: 'QUERY_FAILED',
      details: { store: err.store, code: err.code },
    });
  }
  if (!(err instanceof Error)) return undefined;
  const oclifError = err as OclifLikeError;
  if (oclifError.oclif?.exit === ExitCode.usage || /^(Nonexistent flag|Missing required|Expected )/.test(err.message)) {
    return new UsageError(err.message.split('\nSee more help')[0] ?? err.message, {
      actions: ['run the command with --help for its flags and examples'],
    });
  }
  return undefined;
}
