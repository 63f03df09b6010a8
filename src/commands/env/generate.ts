import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { ENV_ANSWER_FLAGS, answersFromFlags } from '../../lib/env/answer-flags.js';
import { generateEnv, type EnvGenerateResult } from '../../lib/env/generate.js';
import { terminalPrompter } from '../../lib/env/prompter.js';

export default class EnvGenerate extends BaseCommand<typeof EnvGenerate> {
  static override summary = 'Write a .env file: an interactive wizard, or fully scripted with flags.';
  static override description =
    'Asks for the base URL, port, storage (embedded or PostgreSQL/ClickHouse), admin account, SMTP, GeoIP database, ' +
    'trusted proxies and backups; generates SECRET_KEY_BASE and database passwords with a secure random source; ' +
    'writes the file atomically with mode 0600. Every question has a flag; --yes takes the defaults; without a ' +
    'terminal a missing required answer fails naming its flag. An existing file is never overwritten without ' +
    '--force, and its secrets are kept unless --rotate-secrets.';
  static override examples = [
    '<%= config.bin %> env generate',
    '<%= config.bin %> env generate --yes --base-url https://stats.example.com',
    '<%= config.bin %> env generate --yes --base-url https://stats.example.com --storage servers --json',
    '<%= config.bin %> env generate --force --rotate-secrets --yes',
    '<%= config.bin %> env generate --yes --base-url https://stats.example.com --mailer smtp --smtp-host smtp.example.com --smtp-port 465 --smtp-ssl true --smtp-user postmaster@example.com --smtp-password SECRET --mailer-email stats@example.com',
  ];
  static override flags = {
    output: Flags.string({ char: 'o', description: 'File to write (default: the --env-file path).' }),
    yes: Flags.boolean({ char: 'y', description: 'Accept defaults instead of asking.' }),
    force: Flags.boolean({ description: 'Overwrite an existing file (its secrets are kept).' }),
    'rotate-secrets': Flags.boolean({ description: 'Generate a new SECRET_KEY_BASE even if the file has one.' }),
    ...ENV_ANSWER_FLAGS,
  };

  async run(): Promise<EnvGenerateResult> {
    const { flags } = this;
    const result = await generateEnv({
      output: flags.output ?? flags['env-file'],
      answers: answersFromFlags(flags, Object.keys(ENV_ANSWER_FLAGS)),
      yes: flags.yes,
      force: flags.force,
      rotateSecrets: flags['rotate-secrets'],
      prompter: this.canPrompt ? terminalPrompter() : undefined,
    });
    this.log(`${result.action === 'created' ? 'Wrote' : 'Overwrote'} ${result.path} (mode 0600, ${result.storage} storage).`);
    if (result.generatedSecrets.length) this.log(`Generated: ${result.generatedSecrets.join(', ')}.`);
    if (result.keptSecrets.length) this.log(`Kept existing: ${result.keptSecrets.join(', ')}.`);
    this.log('Next: analytics env check');
    return result;
  }
}
