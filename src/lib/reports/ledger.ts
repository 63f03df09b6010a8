/**
 * The sent-reports ledger: a report (site, period kind, first day) is claimed with one atomic statement
 * before anything is sent, so two ticks, two servers or a restart never send it twice. A failed report
 * is retried with exponential backoff; a claim left by a process that died mid-send is released after
 * a lease and retried, skipping the recipients whose copy was already accepted.
 */
import type { PostgresQueryable } from '../storage/postgres/index.js';
import type { ReportPeriod, ReportRange } from './periods.js';

export const MAX_ATTEMPTS = 6;
/** A 'sending' claim older than this belongs to a process that died: it may be retried. */
export const CLAIM_LEASE_MS = 10 * 60_000;

export interface ReportClaim {
  id: number;
  attempt: number;
  /** Recipients already served by an earlier attempt. */
  deliveredTo: string[];
}

export type LedgerStatus = 'sending' | 'sent' | 'failed';

export interface LedgerEntry {
  siteId: number;
  period: ReportPeriod;
  periodStart: string;
  status: LedgerStatus;
  attempts: number;
  deliveredTo: string[];
  lastError: string | null;
  nextAttemptAt: string | null;
  finishedAt: string | null;
}

/** Backoff before attempt n+1: 1, 2, 4, 8, 16 minutes (times `baseMs`). */
export function retryDelayMs(attempt: number, baseMs: number): number {
  return baseMs * 2 ** (attempt - 1);
}

/**
 * Claims the report if nobody has: a new row, or a failed one whose retry time has come. Returns
 * undefined when it is sent, being sent, waiting for its retry, or out of attempts.
 */
export async function claimReport(db: PostgresQueryable, siteId: number, range: ReportRange): Promise<ReportClaim | undefined> {
  const rows = await db.query<{ id: string; attempts: number; delivered_to: string[] }>(
    `INSERT INTO sent_reports (site_id, period, period_start, period_end, status, attempts)
     VALUES ($1, $2, $3, $4, 'sending', 1)
     ON CONFLICT (site_id, period, period_start) DO UPDATE
       SET status = 'sending', attempts = sent_reports.attempts + 1, claimed_at = now(), next_attempt_at = NULL
       WHERE sent_reports.status = 'failed' AND sent_reports.next_attempt_at IS NOT NULL AND sent_reports.next_attempt_at <= now()
     RETURNING id, attempts, delivered_to`,
    [siteId, range.period, range.first, range.last],
  );
  const row = rows[0];
  return row ? { id: Number(row.id), attempt: row.attempts, deliveredTo: row.delivered_to } : undefined;
}

export async function recordDelivery(db: PostgresQueryable, claimId: number, email: string): Promise<void> {
  await db.query('UPDATE sent_reports SET delivered_to = array_append(delivered_to, $2) WHERE id = $1', [claimId, email]);
}

export async function finishClaim(
  db: PostgresQueryable,
  claim: ReportClaim,
  outcome: { ok: true } | { ok: false; error: string; retryInMs: number | null },
): Promise<void> {
  if (outcome.ok) {
    await db.query(`UPDATE sent_reports SET status = 'sent', last_error = NULL, finished_at = now() WHERE id = $1`, [claim.id]);
    return;
  }
  await db.query(
    `UPDATE sent_reports SET status = 'failed', last_error = $2, finished_at = now(),
       next_attempt_at = CASE WHEN $3::bigint IS NULL THEN NULL ELSE now() + $3::bigint * interval '1 millisecond' END
     WHERE id = $1`,
    [claim.id, outcome.error.slice(0, 2000), outcome.retryInMs],
  );
}

/** Claims of processes that died while sending become failed reports due for a retry now. */
export async function releaseStaleClaims(db: PostgresQueryable, leaseMs = CLAIM_LEASE_MS): Promise<number> {
  const rows = await db.query(
    `UPDATE sent_reports SET status = 'failed', next_attempt_at = now(),
       last_error = 'interrupted: the process sending it stopped'
     WHERE status = 'sending' AND claimed_at < now() - $1::bigint * interval '1 millisecond' RETURNING id`,
    [leaseMs],
  );
  return rows.length;
}

export async function ledgerEntry(db: PostgresQueryable, siteId: number, range: ReportRange): Promise<LedgerEntry | undefined> {
  const rows = await db.query<{
    site_id: string;
    period: ReportPeriod;
    period_start: Date | string;
    status: LedgerStatus;
    attempts: number;
    delivered_to: string[];
    last_error: string | null;
    next_attempt_at: Date | null;
    finished_at: Date | null;
  }>(
    `SELECT site_id, period, period_start::text AS period_start, status, attempts, delivered_to, last_error, next_attempt_at, finished_at
     FROM sent_reports WHERE site_id = $1 AND period = $2 AND period_start = $3`,
    [siteId, range.period, range.first],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    siteId: Number(r.site_id),
    period: r.period,
    periodStart: String(r.period_start),
    status: r.status,
    attempts: r.attempts,
    deliveredTo: r.delivered_to,
    lastError: r.last_error,
    nextAttemptAt: r.next_attempt_at ? new Date(r.next_attempt_at).toISOString() : null,
    finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
  };
}
