/**
 * Sending one site's report for one period: claim it in the ledger, compute the numbers once, send
 * each subscriber their copy (with their own unsubscribe link), then record the outcome — in the
 * ledger (retry with backoff on failure) and as the last send result that `analytics health` shows.
 */
import { recordSendResult } from '../mail/last-send.js';
import type { SmtpSettings } from '../mail/settings.js';
import { sendMail, type SmtpError } from '../mail/transport.js';
import type { Site } from '../sites/sites.js';
import type { OpenedStores } from '../storage/open.js';
import { computeReport, dashboardUrl, renderReport, unsubscribeUrl, type RenderedReport, type ReportNumbers } from './content.js';
import { MAX_ATTEMPTS, claimReport, finishClaim, ledgerEntry, recordDelivery, retryDelayMs, type LedgerEntry } from './ledger.js';
import type { ReportRange } from './periods.js';
import { listSubscriptions } from './subscriptions.js';

export type ReportStores = Pick<OpenedStores, 'postgres' | 'clickhouse'>;

export type SendOutcome = 'sent' | 'partly-sent' | 'failed' | 'dry-run' | 'already-claimed' | 'no-subscribers';

export interface SendReportResult {
  site: string;
  period: ReportRange['period'];
  first: string;
  last: string;
  outcome: SendOutcome;
  recipients: string[];
  delivered: string[];
  failures: { email: string; error: string; serverReply?: string }[];
  /** Set when the ledger already had the report (outcome already-claimed). */
  ledger?: LedgerEntry;
  /** When the scheduler tries again after a failure (null: attempts exhausted). */
  retryAt?: string | null;
  numbers?: ReportNumbers;
  /** The rendered message (dry run: for the first recipient, or a placeholder link without one). */
  preview?: RenderedReport;
}

export interface SendReportOptions {
  site: Site;
  range: ReportRange;
  baseUrl: string;
  /** Undefined only for a dry run (nothing is sent). */
  smtp?: SmtpSettings;
  dryRun?: boolean;
  /** Send although the ledger has the report (sent, sending or waiting for a retry); the ledger is left alone. */
  force?: boolean;
  /** Base of the backoff between scheduler attempts (default one minute). */
  retryBaseMs?: number;
  /** Backoff of the quick retries inside one attempt (SMTP_RETRIES). */
  smtpBackoffMs?: number;
}

export async function sendSiteReport(stores: ReportStores, options: SendReportOptions): Promise<SendReportResult> {
  const { site, range } = options;
  const subscribers = await listSubscriptions(stores.postgres, { domain: site.domain, period: range.period });
  const base = { site: site.domain, period: range.period, first: range.first, last: range.last };
  const recipients = subscribers.map((s) => s.email);
  const empty = { recipients, delivered: [] as string[], failures: [] as SendReportResult['failures'] };

  if (options.dryRun) {
    const numbers = await computeReport(stores, site, range);
    const token = subscribers[0]?.unsubscribeToken ?? 'TOKEN';
    const preview = renderReport(numbers, { dashboard: dashboardUrl(options.baseUrl, site.domain), unsubscribe: unsubscribeUrl(options.baseUrl, token) });
    return { ...base, ...empty, outcome: 'dry-run', numbers, preview, ledger: await ledgerEntry(stores.postgres, site.id, range) };
  }
  if (subscribers.length === 0) return { ...base, ...empty, outcome: 'no-subscribers' };
  if (!options.smtp) throw new Error('sendSiteReport needs SMTP settings unless dryRun');

  const claim = options.force ? undefined : await claimReport(stores.postgres, site.id, range);
  if (!claim && !options.force) {
    return { ...base, ...empty, outcome: 'already-claimed', ledger: await ledgerEntry(stores.postgres, site.id, range) };
  }

  const delivered: string[] = [];
  const failures: SendReportResult['failures'] = [];
  let numbers: ReportNumbers | undefined;
  try {
    numbers = await computeReport(stores, site, range);
    for (const subscriber of subscribers) {
      if (claim?.deliveredTo.some((e) => e.toLowerCase() === subscriber.email.toLowerCase())) continue;
      const message = renderReport(numbers, {
        dashboard: dashboardUrl(options.baseUrl, site.domain),
        unsubscribe: unsubscribeUrl(options.baseUrl, subscriber.unsubscribeToken),
      });
      try {
        await sendMail(options.smtp, { to: subscriber.email, ...message }, { backoffMs: options.smtpBackoffMs });
        delivered.push(subscriber.email);
        if (claim) await recordDelivery(stores.postgres, claim.id, subscriber.email);
      } catch (error) {
        const e = error as SmtpError;
        failures.push({ email: subscriber.email, error: e.message, ...(e.response ? { serverReply: e.response } : {}) });
      }
    }
  } catch (error) {
    // Computing the numbers failed (ClickHouse down): nobody got anything; retried like a send failure.
    failures.push({ email: '*', error: error instanceof Error ? error.message : String(error) });
  }

  const ok = failures.length === 0;
  let retryAt: string | null | undefined;
  if (claim) {
    const retryInMs = ok || claim.attempt >= MAX_ATTEMPTS ? null : retryDelayMs(claim.attempt, options.retryBaseMs ?? 60_000);
    await finishClaim(stores.postgres, claim, ok ? { ok: true } : { ok: false, error: summarize(failures), retryInMs });
    if (!ok) retryAt = retryInMs === null ? null : new Date(Date.now() + retryInMs).toISOString();
  }
  await recordSendResult(stores.postgres, {
    ok,
    kind: 'report',
    detail: `${range.period}ly report for ${site.domain} (${range.first}): ${delivered.length} of ${recipients.length} delivered`,
    ...(ok ? {} : { error: summarize(failures) }),
  });
  return {
    ...base,
    recipients,
    delivered,
    failures,
    outcome: ok ? 'sent' : delivered.length > 0 ? 'partly-sent' : 'failed',
    ...(retryAt !== undefined ? { retryAt } : {}),
    ...(numbers ? { numbers } : {}),
  };
}

function summarize(failures: SendReportResult['failures']): string {
  return failures.map((f) => `${f.email}: ${f.serverReply ?? f.error}`).join('; ');
}
