import { Flags } from '@oclif/core';
import path from 'node:path';
import { BaseCommand } from '../lib/cli/base-command.js';
import { stackFlags } from '../lib/compose/flags.js';
import { runUpgrade, type UpgradeResult } from '../lib/upgrade/upgrade.js';

export default class Upgrade extends BaseCommand<typeof Upgrade> {
  static override summary = 'Upgrade in place: backup → pull/build → migrate → restart → health.';
  static override description =
    'Stops at the first failed step and prints how to go back: restore the backup this run just took. With the ' +
    'Docker Compose stack (docker-compose.yml in --dir) the registry images are pulled and the analytics image is ' +
    'rebuilt from this package; with --embedded (systemd unit or detached server from setup --embedded) the new ' +
    'version is the installed package, and the restarted server migrates its own stores.';
  static override examples = [
    '<%= config.bin %> upgrade --dir /opt/analytics',
    '<%= config.bin %> upgrade --embedded',
    '<%= config.bin %> upgrade --no-pull --json',
  ];
  static override flags = {
    ...stackFlags,
    embedded: Flags.boolean({ description: 'The installation from setup --embedded (no Docker).' }),
    pull: Flags.boolean({ description: 'Pull registry images.', default: true, allowNo: true }),
    build: Flags.boolean({ description: 'Rebuild the analytics image.', default: true, allowNo: true }),
    'skip-backup': Flags.boolean({ description: 'Do not take a backup first (no way back).' }),
    timeout: Flags.integer({ description: 'Seconds to wait for health.', default: 300, min: 1 }),
  };

  async run(): Promise<UpgradeResult> {
    const { flags } = this;
    const result = await runUpgrade({
      mode: flags.embedded ? 'embedded' : 'docker',
      dir: flags.dir,
      project: flags['project-name'],
      envFile: path.resolve(flags['env-file']),
      config: this.loadConfig(),
      backupAvailable: Boolean(this.config.findCommand('backup:create')),
      skipBackup: flags['skip-backup'],
      pull: flags.pull,
      build: flags.build,
      healthTimeoutMs: flags.timeout * 1000,
      quiet: this.jsonEnabled(),
    });
    this.log(`Upgraded; ${result.url} is healthy.`);
    for (const s of result.steps) this.log(`  ${s.status.padEnd(8)} ${s.name}${s.detail ? ` — ${s.detail}` : ''}`);
    if (result.backup) this.log(`Backup taken first: ${result.backup.path} (analytics restore ${result.backup.name} to go back).`);
    return result;
  }
}
