/**
 * The `mail` health check's measurement: the last send result (reports, password resets) and reports
 * that ran out of retries. Shaped like a health check outcome so the registry can use it as is.
 */
import type { PostgresQueryable } from '../storage/postgres/index.js';
import { lastSendResults } from './last-send.js';

export interface MailHealth {
  status: 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';
  value: string;
  message?: string;
  next?: string;
  details?: Record<string, unknown>;
}

/** Failures for this long without one success: mail is down, not flaky. */
const CRITICAL_AFTER_MS = 24 * 3600_000;

export async function mailHealth(db: PostgresQueryable, options: { mailEnabled: boolean; now?: Date }): Promise<MailHealth> {
  const now = options.now ?? new Date();
  let results: Awaited<ReturnType<typeof lastSendResults>>;
  let abandoned: { n: string }[];
  try {
    results = await lastSendResults(db);
    abandoned = await db.query<{ n: string }>(
      "SELECT count(*) AS n FROM sent_reports WHERE status = 'failed' AND next_attempt_at IS NULL AND finished_at > now() - interval '7 days'",
    );
  } catch (error) {
    if (/relation "(sent_reports|settings)" does not exist/.test(String((error as Error).message))) {
      return { status: 'UNKNOWN', value: 'not migrated', message: 'The mail tables do not exist yet: the migrations are pending', next: 'analytics db migrate' };
    }
    throw error;
  }
  const { last, lastSuccess } = results;
  const gaveUp = Number(abandoned[0]?.n ?? 0);
  const details = { mailEnabled: options.mailEnabled, last: last ?? null, lastSuccess: lastSuccess ?? null, reportsGivenUp: gaveUp };
  if (!options.mailEnabled) return { status: 'OK', value: 'mail off (MAILER_ADAPTER=none)', details };
  if (!last) return { status: 'OK', value: 'nothing sent yet', details };
  if (last.ok && gaveUp === 0) return { status: 'OK', value: `last ${last.kind} mail sent ${last.at}`, details };
  const next = 'analytics mail test --to YOUR_ADDRESS   (shows which step fails and the setting to fix)';
  if (last.ok) {
    return {
      status: 'WARNING',
      value: `${gaveUp} report(s) given up in 7 days`,
      message: `${gaveUp} report(s) failed every retry; the last mail went out at ${last.at}`,
      next: 'analytics reports send --site DOMAIN --period week|month --force   (after fixing the cause in the server log)',
      details,
    };
  }
  const sinceSuccess = lastSuccess ? now.getTime() - Date.parse(lastSuccess.at) : Number.POSITIVE_INFINITY;
  const failedSince = Number.isFinite(sinceSuccess) ? `no mail delivered since ${lastSuccess?.at}` : 'no mail ever delivered';
  return {
    status: sinceSuccess > CRITICAL_AFTER_MS ? 'CRITICAL' : 'WARNING',
    value: `last send failed ${last.at}`,
    message: `Sending a ${last.kind} mail failed: ${last.error ?? 'unknown error'}; ${failedSince}`,
    next,
    details,
  };
}
