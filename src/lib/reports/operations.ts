/**
 * The `reports` admin operations (see admin/operations.ts): they run where the data is — in the CLI, or
 * in the server over its admin socket while it owns the embedded stores.
 */
import { z } from 'zod';
import type { OpenedStores } from '../storage/open.js';
import { REPORT_PERIODS, lastCompletedPeriod } from './periods.js';
import { sendSiteReport, type SendReportResult } from './send.js';
import {
  listSubscriptions,
  requireSite,
  subscribe,
  unsubscribe,
  withoutToken,
  type ReportSubscription,
  type SubscribeResult,
} from './subscriptions.js';

const text = z.string().trim().min(1);
const period = z.enum(REPORT_PERIODS as ['week', 'month']);

/** The CLI's SMTP settings travel with `reports.send`, so the server sends with what `--env-file` says. */
const smtpInput = z
  .object({
    host: text,
    port: z.number().int().min(1).max(65535),
    implicitTls: z.boolean(),
    user: z.string().optional(),
    password: z.string().optional(),
    from: z.object({ name: z.string(), address: text }).strict(),
    retries: z.number().int().min(0).max(100),
  })
  .strict();

export const reportOperations = {
  'reports.subscribe': {
    name: 'reports.subscribe',
    input: z.object({ domain: text, email: text, periods: z.array(period).min(1) }).strict(),
    run: (stores: OpenedStores, input: { domain: string; email: string; periods: ('week' | 'month')[] }): Promise<SubscribeResult> =>
      subscribe(stores.postgres, input),
  },
  'reports.unsubscribe': {
    name: 'reports.unsubscribe',
    input: z.object({ domain: text, email: text, periods: z.array(period).min(1) }).strict(),
    run: (
      stores: OpenedStores,
      input: { domain: string; email: string; periods: ('week' | 'month')[] },
    ): Promise<{ removed: ReportSubscription[] }> => unsubscribe(stores.postgres, input),
  },
  'reports.list': {
    name: 'reports.list',
    input: z.object({ domain: text.optional() }).strict(),
    run: async (stores: OpenedStores, input: { domain?: string }): Promise<{ subscriptions: ReportSubscription[] }> => {
      if (input.domain) await requireSite(stores.postgres, input.domain);
      return { subscriptions: (await listSubscriptions(stores.postgres, { domain: input.domain })).map(withoutToken) };
    },
  },
  'reports.send': {
    name: 'reports.send',
    input: z
      .object({
        domain: text,
        period,
        dryRun: z.boolean().default(false),
        force: z.boolean().default(false),
        baseUrl: text,
        smtp: smtpInput.optional(),
      })
      .strict(),
    run: async (
      stores: OpenedStores,
      input: { domain: string; period: 'week' | 'month'; dryRun: boolean; force: boolean; baseUrl: string; smtp?: z.output<typeof smtpInput> },
    ): Promise<SendReportResult> => {
      const site = await requireSite(stores.postgres, input.domain);
      const range = lastCompletedPeriod(input.period, site.timezone, new Date());
      return sendSiteReport(stores, { site, range, baseUrl: input.baseUrl, smtp: input.smtp, dryRun: input.dryRun, force: input.force });
    },
  },
} as const;
