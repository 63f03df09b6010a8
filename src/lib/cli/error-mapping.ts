import { AnalyticsError, ExitCode, UsageError } from './errors.js';

interface OclifLikeError extends Error {
  oclif?: { exit?: number };
  code?: string;
}

/**
 * Any thrown value → the AnalyticsError the user sees; undefined means a bug. Parser errors from
 * oclif (unknown flag, missing argument, bad option) are usage errors, exit code 2.
 */
export function toAnalyticsError(err: unknown): AnalyticsError | undefined {
  if (err instanceof AnalyticsError) return err;
  if (!(err instanceof Error)) return undefined;
  const oclifError = err as OclifLikeError;
  if (oclifError.oclif?.exit === ExitCode.usage || /^(Nonexistent flag|Missing required|Expected )/.test(err.message)) {
    return new UsageError(err.message.split('\nSee more help')[0] ?? err.message, {
      actions: ['run the command with --help for its flags and examples'],
    });
  }
  if (oclifError.code === 'EEXIT') return undefined;
  return undefined;
}
