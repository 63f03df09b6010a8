import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/cli/base-command.js';
import { stackFlags } from '../lib/compose/flags.js';
import { ENV_ANSWER_FLAGS, answersFromFlags } from '../lib/env/answer-flags.js';
import { terminalPrompter } from '../lib/env/prompter.js';
import { confirmOverwriteOnTerminal } from '../lib/setup/prompts.js';
import { describeSetup } from '../lib/setup/describe.js';
import { runDockerSetup } from '../lib/setup/docker.js';
import { runEmbeddedSetup } from '../lib/setup/embedded.js';
import type { SetupResult } from '../lib/setup/types.js';
import { templateFlags } from '../lib/templates/flags.js';

/** The env wizard's questions that setup passes through (storage is decided by the mode). */
const { storage: _storage, 'database-url': _databaseUrl, 'clickhouse-url': _clickhouseUrl, 'mailer-name': _mailerName, 'smtp-retries': _smtpRetries, ...ENV_ANSWERS } =
  ENV_ANSWER_FLAGS;

export default class Setup extends BaseCommand<typeof Setup> {
  static override summary = 'Install analytics on this machine: Docker Compose stack, or --embedded with systemd.';
  static override description =
    'One task list: preflight (analytics doctor, when available) → .env (the env wizard, or flags) → deployment files → ' +
    'images (pull, build) → databases up → createdb and migrate → first admin → server up → wait for /api/health → ' +
    'the URL, the admin credentials (shown once) and the tracker snippet. --embedded needs no Docker: PGlite and chDB ' +
    'in DATA_DIR, a systemd unit running `analytics start` and a daily backup timer (without systemd as init the ' +
    'server is started detached and the result says so). Every question has a flag; --yes runs unattended. Running ' +
    'it again is safe: what exists is detected and kept, and files that differ are not overwritten without asking ' +
    '(or --force).';
  static override examples = [
    '<%= config.bin %> setup',
    '<%= config.bin %> setup --yes --base-url https://stats.example.com --admin-email you@example.com --site example.com',
    '<%= config.bin %> setup --yes --tls caddy --base-url https://stats.example.com --dir /opt/analytics',
    '<%= config.bin %> setup --embedded --yes --base-url http://stats.example.com --admin-email you@example.com',
  ];
  static override flags = {
    ...stackFlags,
    ...templateFlags,
    ...ENV_ANSWERS,
    embedded: Flags.boolean({ description: 'No Docker: embedded storage, systemd unit, backup timer.' }),
    yes: Flags.boolean({ char: 'y', description: 'Accept defaults instead of asking.' }),
    force: Flags.boolean({ description: 'Overwrite deployment files that differ from the templates.' }),
    'dry-run': Flags.boolean({ description: 'Show the files that would be written; start nothing.' }),
    site: Flags.string({ description: 'Add this site (domain) and print its tracker snippet.' }),
    tls: Flags.string({ description: 'caddy: automatic TLS with the Caddy profile; none: bring your own proxy.', options: ['caddy', 'none'], default: 'none' }),
    pull: Flags.boolean({ description: 'Pull registry images.', default: true, allowNo: true }),
    build: Flags.boolean({ description: 'Build the analytics image.', default: true, allowNo: true }),
    'skip-doctor': Flags.boolean({ description: 'Skip the preflight checks.' }),
    'unit-dir': Flags.string({ description: '--embedded: where systemd units are installed.', default: '/etc/systemd/system' }),
    user: Flags.string({ description: '--embedded: account the service runs as (default: the current one).' }),
    timeout: Flags.integer({ description: 'Seconds to wait for health.', default: 300, min: 1 }),
  };

  async run(): Promise<SetupResult> {
    const { flags } = this;
    const prompter = this.canPrompt && !this.jsonEnabled() ? terminalPrompter() : undefined;
    const common = {
      dir: flags.dir,
      envFile: flags['env-file'],
      answers: answersFromFlags(flags, Object.keys(ENV_ANSWERS)),
      yes: flags.yes,
      prompter,
      write: { dryRun: flags['dry-run'], force: flags.force, confirmOverwrite: prompter && !flags.yes ? confirmOverwriteOnTerminal : undefined },
      site: flags.site,
      doctor: { available: Boolean(this.config.findCommand('doctor')), skip: flags['skip-doctor'] },
      healthTimeoutMs: flags.timeout * 1000,
      quiet: this.jsonEnabled(),
      loadConfig: () => this.loadConfig(),
    };
    const result = flags.embedded
      ? await runEmbeddedSetup({ ...common, unitDir: flags['unit-dir'], user: flags.user })
      : await runDockerSetup({
          ...common,
          project: flags['project-name'],
          clickhouse: flags.clickhouse as 'server' | 'embedded',
          network: flags.network as 'bridge' | 'host',
          images: { analytics: flags.image, postgres: flags['postgres-image'], clickhouse: flags['clickhouse-image'], caddy: flags['caddy-image'] },
          tls: flags.tls as 'caddy' | 'none',
          pull: flags.pull,
          build: flags.build,
        });
    this.log(describeSetup(result));
    return result;
  }
}
