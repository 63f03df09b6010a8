import { Flags } from '@oclif/core';
import { listBackups, type BackupEntry } from '../../lib/backup/catalog.js';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { renderTable } from '../../lib/ui/table.js';
import { formatBytes } from './create.js';

export interface BackupListResult {
  dir: string;
  backups: BackupEntry[];
}

export default class BackupList extends BaseCommand<typeof BackupList> {
  static override summary = 'List the backups in BACKUP_DIR, newest first: name, time, size, mode, verified.';
  static override examples = ['<%= config.bin %> backup list', '<%= config.bin %> backup list --dir /var/backups/analytics --json'];
  static override flags = {
    dir: Flags.string({ description: 'Directory to list (default BACKUP_DIR).' }),
  };

  async run(): Promise<BackupListResult> {
    const config = this.loadConfig();
    const dir = this.flags.dir ?? config.backup.dir;
    const backups = listBackups(dir);
    if (backups.length === 0) {
      this.log(`No backups in ${dir}. Take one with: analytics backup create`);
    } else {
      this.log(
        renderTable(
          ['name', 'time', 'size', 'mode', 'verified'],
          backups.map((b) => [b.name, b.createdAt, formatBytes(b.bytes), b.mode ?? '?', b.verified ? 'yes' : 'no']),
        ),
      );
    }
    return { dir, backups };
  }
}
