import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { runMailTest, type MailTestResult, type MailTestStep } from '../../lib/mail/mail-test.js';
import { smtpSettings } from '../../lib/mail/settings.js';

export type MailTestCommandResult = MailTestResult;

const MARK: Record<MailTestStep['status'], string> = { ok: '✓', failed: '✗', warning: '!', skipped: '-' };

export default class MailTest extends BaseCommand<typeof MailTest> {
  static override summary = 'Send a test message and report each step: DNS, TCP, TLS, AUTH, accepted.';
  static override description =
    'Uses the SMTP settings (MAILER_*, SMTP_*) exactly as the server does. Each step is checked on its own, so a ' +
    'failure says where it happened, quotes the SMTP server\'s own reply, and names the setting to fix. Exits 0 when ' +
    'the server accepted the message, 3 when it could not be reached (DNS, TCP), 1 for any other failure. Certificates ' +
    'are checked against the system store; trust a private CA with NODE_EXTRA_CA_CERTS.';
  static override examples = [
    '<%= config.bin %> mail test --to you@example.com',
    '<%= config.bin %> mail test --to you@example.com --env-file /etc/analytics/.env',
    '<%= config.bin %> mail test --to you@example.com --json | jq \'.steps[] | select(.status == "failed")\'',
  ];
  static override flags = {
    to: Flags.string({ description: 'Address to send the test message to.', required: true }),
  };

  async run(): Promise<MailTestCommandResult> {
    const settings = smtpSettings(this.loadConfig());
    const result = await runMailTest(settings, {
      to: this.flags.to,
      onStep: (step) => {
        if (this.jsonEnabled() || step.status === 'skipped') return;
        this.log(`${MARK[step.status]} ${step.step.toUpperCase().padEnd(8)} ${step.detail}`);
        if (step.serverReply) this.log(`  server said: ${step.serverReply.replace(/\n/g, '\n               ')}`);
        if (step.fix) this.log(`  fix: ${step.fix}`);
      },
    });
    process.exitCode = result.exitCode;
    if (!this.jsonEnabled()) {
      this.log(result.ok ? `Sent to ${result.to} (message id ${result.messageId}).` : `Not sent: the ${result.failedStep} step failed.`);
    }
    return result;
  }
}
