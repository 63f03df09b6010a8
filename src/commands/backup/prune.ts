import { Flags } from '@oclif/core';
import { pruneBackups, type BackupPruneResult } from '../../lib/backup/catalog.js';
import { BaseCommand } from '../../lib/cli/base-command.js';

export default class BackupPrune extends BaseCommand<typeof BackupPrune> {
  static override summary = 'Delete old backups, keeping daily, weekly and monthly generations and the newest verified one.';
  static override description =
    'Keeps the newest backup of each of the last N days, ISO weeks and months (defaults BACKUP_KEEP_DAILY/WEEKLY/' +
    'MONTHLY) and never deletes the newest verified backup. --dry-run lists what would go.';
  static override examples = [
    '<%= config.bin %> backup prune --dry-run',
    '<%= config.bin %> backup prune --keep-daily 7 --keep-weekly 4 --keep-monthly 6',
  ];
  static override flags = {
    dir: Flags.string({ description: 'Backup directory (default BACKUP_DIR).' }),
    'keep-daily': Flags.integer({ description: 'Daily backups to keep (default BACKUP_KEEP_DAILY).', min: 0 }),
    'keep-weekly': Flags.integer({ description: 'Weekly backups to keep (default BACKUP_KEEP_WEEKLY).', min: 0 }),
    'keep-monthly': Flags.integer({ description: 'Monthly backups to keep (default BACKUP_KEEP_MONTHLY).', min: 0 }),
    'dry-run': Flags.boolean({ description: 'Only list what would be deleted.' }),
  };

  async run(): Promise<BackupPruneResult> {
    const config = this.loadConfig();
    const result = await pruneBackups(this.flags.dir ?? config.backup.dir, {
      keepDaily: this.flags['keep-daily'] ?? config.backup.keepDaily,
      keepWeekly: this.flags['keep-weekly'] ?? config.backup.keepWeekly,
      keepMonthly: this.flags['keep-monthly'] ?? config.backup.keepMonthly,
      dryRun: this.flags['dry-run'],
    });
    if (process.stdout.isTTY || result.dryRun) {
      const verb = result.dryRun ? 'Would delete' : 'Deleted';
      this.log(`${verb} ${result.deleted.length} backup(s)${result.deleted.length ? `: ${result.deleted.join(', ')}` : ''}; kept ${result.kept.length}.`);
    }
    return result;
  }
}
