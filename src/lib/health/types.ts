/**
 * The monitoring vocabulary shared by `analytics health` and `analytics doctor`: every check ends in one
 * of four states with the exit codes of the Nagios plugin convention, so the commands drop into cron,
 * systemd or a monitoring agent unchanged.
 */
export type CheckStatus = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

export const STATUS_EXIT_CODE: Record<CheckStatus, number> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

/** What one check found. `value` is the measurement in words; `details` the same as numbers for machines. */
export interface CheckOutcome {
  status: CheckStatus;
  /** The measured value, short: "12 % free (1.2 GiB of 10 GiB)", "3 ms, PostgreSQL 15.8". */
  value: string;
  /** One sentence when not OK: what is wrong. */
  message?: string;
  /** When not OK: the next command to run (or the next thing to do when no command fixes it). */
  next?: string;
  details?: Record<string, unknown>;
}

export interface CheckResult extends CheckOutcome {
  name: string;
  title: string;
  durationMs: number;
}

export interface CheckReport {
  /** The worst status of all checks (CRITICAL > WARNING > UNKNOWN > OK). */
  status: CheckStatus;
  /** The process exit code for `status`: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
  exitCode: number;
  checkedAt: string;
  durationMs: number;
  checks: CheckResult[];
}

/**
 * A failed check outranks an unknown one: a monitoring agent should page for a full disk even when
 * another check could not be measured. UNKNOWN still outranks OK.
 */
const SEVERITY: Record<CheckStatus, number> = { OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3 };

export function worstStatus(statuses: Iterable<CheckStatus>): CheckStatus {
  let worst: CheckStatus = 'OK';
  for (const status of statuses) if (SEVERITY[status] > SEVERITY[worst]) worst = status;
  return worst;
}

export const ok = (value: string, details?: Record<string, unknown>): CheckOutcome => ({ status: 'OK', value, ...(details ? { details } : {}) });

export function notOk(
  status: Exclude<CheckStatus, 'OK'>,
  value: string,
  message: string,
  next: string,
  details?: Record<string, unknown>,
): CheckOutcome {
  return { status, value, message, next, ...(details ? { details } : {}) };
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
