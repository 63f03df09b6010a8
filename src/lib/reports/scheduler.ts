/**
 * The report scheduler inside the server: every minute it releases claims of dead processes, then
 * sends each subscribed (site, period) its last completed period's report — once, thanks to the
 * ledger's claim — and retries failures when their backoff has passed.
 */
import type { Logger } from '../server/log.js';
import type { SmtpSettings } from '../mail/settings.js';
import type { Site } from '../sites/sites.js';
import { lastCompletedPeriod, type ReportPeriod } from './periods.js';
import { releaseStaleClaims } from './ledger.js';
import { sendSiteReport, type ReportStores, type SendReportResult } from './send.js';

export interface ReportSchedulerOptions {
  stores: ReportStores;
  smtp: SmtpSettings;
  baseUrl: string;
  log: Logger;
  intervalMs?: number;
  retryBaseMs?: number;
  now?: () => Date;
}

export interface SchedulerTick {
  at: string;
  checked: number;
  results: SendReportResult[];
}

export class ReportScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SchedulerTick | undefined> | undefined;
  private stopped = false;
  lastTick: SchedulerTick | undefined;

  constructor(private readonly options: ReportSchedulerOptions) {}

  start(): this {
    const loop = () => {
      if (this.stopped) return;
      void this.tick().finally(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.options.intervalMs ?? 60_000);
      });
    };
    this.timer = setTimeout(loop, 0);
    return this;
  }

  /** One pass; concurrent calls share it. Errors are logged, never thrown (the server keeps running). */
  tick(): Promise<SchedulerTick | undefined> {
    this.running ??= this.runOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runOnce(): Promise<SchedulerTick | undefined> {
    const { stores, log } = this.options;
    const now = this.options.now?.() ?? new Date();
    try {
      const released = await releaseStaleClaims(stores.postgres);
      if (released > 0) log.warn('reports: released claims of a process that stopped while sending', { released });
      const due = await stores.postgres.query<{ id: string; domain: string; timezone: string; created_at: Date; period: ReportPeriod }>(
        `SELECT DISTINCT s.id, s.domain, s.timezone, s.created_at, r.period
         FROM report_subscriptions r JOIN sites s ON s.id = r.site_id ORDER BY s.domain, r.period`,
      );
      const results: SendReportResult[] = [];
      for (const row of due) {
        if (this.stopped) break;
        const site: Site = { id: Number(row.id), domain: row.domain, timezone: row.timezone, createdAt: new Date(row.created_at).toISOString() };
        const range = lastCompletedPeriod(row.period, site.timezone, now);
        const result = await sendSiteReport(stores, {
          site,
          range,
          baseUrl: this.options.baseUrl,
          smtp: this.options.smtp,
          retryBaseMs: this.options.retryBaseMs,
        });
        results.push(result);
        const fields = { site: site.domain, period: range.period, first: range.first, delivered: result.delivered.length };
        if (result.outcome === 'sent') log.info('report sent', fields);
        else if (result.outcome === 'failed' || result.outcome === 'partly-sent') {
          log.warn('report not sent; will retry', { ...fields, outcome: result.outcome, retryAt: result.retryAt, failures: result.failures });
        }
      }
      const tick = { at: now.toISOString(), checked: due.length, results };
      this.lastTick = tick;
      log.debug('reports checked', { checked: due.length, sent: results.filter((r) => r.outcome === 'sent').length });
      return tick;
    } catch (error) {
      log.error('report scheduler failed', { error: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  }

  /** Stops the timer and waits for a pass in progress (a claim is never left half-done by a clean stop). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
