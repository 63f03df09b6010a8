import { Flags } from '@oclif/core';
import { runAdminOperation } from '../../lib/admin/dispatch.js';
import type { AdminResult } from '../../lib/admin/operations.js';
import { BaseCommand } from '../../lib/cli/base-command.js';

export type ReportsUnsubscribeResult = AdminResult<'reports.unsubscribe'>;

export default class ReportsUnsubscribe extends BaseCommand<typeof ReportsUnsubscribe> {
  static override summary = 'Stop sending a site\'s email reports to an address.';
  static override examples = [
    '<%= config.bin %> reports unsubscribe --site example.com --email owner@example.com',
    '<%= config.bin %> reports unsubscribe --site example.com --email owner@example.com --period month',
  ];
  static override flags = {
    site: Flags.string({ description: 'Domain of the site.', required: true }),
    email: Flags.string({ description: 'The subscribed address.', required: true }),
    period: Flags.string({
      description: 'week or month (repeat for both; default both).',
      options: ['week', 'month'],
      multiple: true,
      default: ['week', 'month'],
    }),
  };

  async run(): Promise<ReportsUnsubscribeResult> {
    const periods = [...new Set(this.flags.period)] as ('week' | 'month')[];
    const result = await runAdminOperation(this.loadConfig(), 'reports.unsubscribe', { domain: this.flags.site, email: this.flags.email, periods });
    for (const s of result.removed) this.log(`Unsubscribed: ${s.email} no longer gets the ${s.period}ly report for ${s.domain}.`);
    return result;
  }
}
