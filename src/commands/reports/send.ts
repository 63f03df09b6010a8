import { Flags } from '@oclif/core';
import { runAdminOperation } from '../../lib/admin/dispatch.js';
import type { AdminResult } from '../../lib/admin/operations.js';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { ExitCode } from '../../lib/cli/errors.js';
import { smtpSettings } from '../../lib/mail/settings.js';

export type ReportsSendResult = AdminResult<'reports.send'>;

export default class ReportsSend extends BaseCommand<typeof ReportsSend> {
  static override summary = 'Send a site\'s report for the last completed week or month now.';
  static override description =
    'Sends to every subscriber of that period (analytics reports subscribe). The report is claimed in the same ' +
    'ledger the server\'s scheduler uses, so it is never sent twice; --force sends it again anyway. --dry-run ' +
    'prints the report (the text part; --json has the HTML too) and sends nothing. Exits 1 when a copy could not be sent.';
  static override examples = [
    '<%= config.bin %> reports send --site example.com --period week --dry-run',
    '<%= config.bin %> reports send --site example.com --period month',
    '<%= config.bin %> reports send --site example.com --period week --force --json',
  ];
  static override flags = {
    site: Flags.string({ description: 'Domain of the site.', required: true }),
    period: Flags.string({ description: 'week (last Monday–Sunday) or month (last calendar month).', options: ['week', 'month'], required: true }),
    'dry-run': Flags.boolean({ description: 'Print the report instead of sending it.' }),
    force: Flags.boolean({ description: 'Send even if this period\'s report was already sent.' }),
  };

  async run(): Promise<ReportsSendResult> {
    const config = this.loadConfig();
    const dryRun = this.flags['dry-run'];
    const result = await runAdminOperation(config, 'reports.send', {
      domain: this.flags.site,
      period: this.flags.period as 'week' | 'month',
      dryRun,
      force: this.flags.force,
      baseUrl: config.baseUrl,
      ...(dryRun ? {} : { smtp: smtpSettings(config) }),
    });
    const what = `the ${result.period}ly report for ${result.site} (${result.first} to ${result.last})`;
    switch (result.outcome) {
      case 'dry-run':
        this.log(result.preview?.text ?? '');
        this.logToStderr(`Dry run: nothing sent. Subscribers: ${result.recipients.length ? result.recipients.join(', ') : 'none'}.`);
        break;
      case 'no-subscribers':
        this.log(`Nobody is subscribed to ${what}. Add someone with: analytics reports subscribe --site ${result.site} --email ADDRESS --period ${result.period}`);
        break;
      case 'already-claimed':
        this.log(
          `Not sent: ${what} is already ${result.ledger?.status === 'sent' ? `sent (${result.ledger.finishedAt})` : result.ledger?.status ?? 'claimed'}. ` +
            `Send it again with --force.`,
        );
        break;
      case 'sent':
        this.log(`Sent ${what} to ${result.delivered.join(', ')}.`);
        break;
      default:
        process.exitCode = ExitCode.failure;
        this.log(`Sent ${what} to ${result.delivered.length} of ${result.recipients.length} subscribers.`);
        for (const f of result.failures) this.log(`  ✗ ${f.email}: ${f.serverReply ?? f.error}`);
        if (result.retryAt) this.log(`The server retries at ${result.retryAt}; check the settings with: analytics mail test --to ADDRESS`);
    }
    return result;
  }
}
