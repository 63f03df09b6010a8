import { Flags } from '@oclif/core';
import { runAdminOperation } from '../../lib/admin/dispatch.js';
import type { AdminResult } from '../../lib/admin/operations.js';
import { BaseCommand } from '../../lib/cli/base-command.js';

export type ReportsSubscribeResult = AdminResult<'reports.subscribe'>;

export default class ReportsSubscribe extends BaseCommand<typeof ReportsSubscribe> {
  static override summary = 'Send a site\'s weekly and/or monthly email report to an address.';
  static override description =
    'The running server sends each report once, after its period has ended in the site\'s time zone (weeks run ' +
    'Monday to Sunday). Every report carries a link that unsubscribes without logging in. Needs MAILER_ADAPTER=smtp ' +
    'on the server. Works while the server runs (through its admin socket).';
  static override examples = [
    '<%= config.bin %> reports subscribe --site example.com --email owner@example.com',
    '<%= config.bin %> reports subscribe --site example.com --email team@example.com --period week --period month',
  ];
  static override flags = {
    site: Flags.string({ description: 'Domain of the site.', required: true }),
    email: Flags.string({ description: 'Address to send the reports to.', required: true }),
    period: Flags.string({ description: 'week or month (repeat for both).', options: ['week', 'month'], multiple: true, default: ['week'] }),
  };

  async run(): Promise<ReportsSubscribeResult> {
    const periods = [...new Set(this.flags.period)] as ('week' | 'month')[];
    const result = await runAdminOperation(this.loadConfig(), 'reports.subscribe', { domain: this.flags.site, email: this.flags.email, periods });
    for (const s of result.subscriptions) {
      this.log(`${result.existing.includes(s.period) ? 'Already subscribed' : 'Subscribed'}: ${s.email} gets the ${s.period}ly report for ${s.domain}.`);
    }
    return result;
  }
}
