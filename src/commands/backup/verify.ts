import { Args, Flags } from '@oclif/core';
import { verifyBackup, type BackupVerifyResult } from '../../lib/backup/catalog.js';
import { readIdentityFiles } from '../../lib/backup/restore.js';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { withProgress } from '../../lib/ui/progress.js';

export default class BackupVerify extends BaseCommand<typeof BackupVerify> {
  static override summary = 'Check a backup: checksums, then a real restore into scratch databases compared with its manifest.';
  static override description =
    'Without NAME the newest backup is verified. The restore goes into a temporary embedded PGlite and chDB, never ' +
    'into the live stores, so it works while the server runs. The result is recorded: `backup list` shows it and ' +
    '`backup prune` never deletes the newest verified backup.';
  static override examples = [
    '<%= config.bin %> backup verify',
    '<%= config.bin %> backup verify analytics-20261122T030000Z',
    '<%= config.bin %> backup verify --identity ~/.config/analytics/backup-key.txt --json',
  ];
  static override args = {
    name: Args.string({ description: 'Backup name (from backup list) or path to an archive.' }),
  };
  static override flags = {
    dir: Flags.string({ description: 'Backup directory (default BACKUP_DIR).' }),
    identity: Flags.string({ description: 'age identity file for encrypted backups (repeatable).', multiple: true }),
  };

  async run(): Promise<BackupVerifyResult> {
    const config = this.loadConfig();
    const identities = readIdentityFiles(this.flags.identity ?? []);
    const quiet = this.jsonEnabled() || !process.stderr.isTTY;
    const result = await withProgress('Verifying', { quiet }, (report) =>
      verifyBackup(this.flags.dir ?? config.backup.dir, this.args.name, identities, report),
    );
    const rows = result.tables.reduce((n, t) => n + t.rows, 0);
    this.log(`${result.name} is good: checksums match, restored ${rows} rows in ${result.tables.length} tables as the manifest says.`);
    return result;
  }
}
