import { Flags } from '@oclif/core';
import type { BackupCreateResult } from '../../lib/backup/create.js';
import { runBackupCreate } from '../../lib/backup/run.js';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { withProgress } from '../../lib/ui/progress.js';

export default class BackupCreate extends BaseCommand<typeof BackupCreate> {
  static override summary = 'Write one archive of both stores (Postgres snapshot, ClickHouse at a watermark) to BACKUP_DIR.';
  static override description =
    'Made for cron: silent on success when not on a terminal, a clear message and a non-zero exit otherwise; exit 5 ' +
    'when another backup still runs. While `analytics start` owns the data directory the server takes the backup ' +
    '(it flushes and holds its ingest spool, so ClickHouse is read at a watermark). Compressed with zstd (gzip when ' +
    'the zstd module is missing), encrypted with age to BACKUP_ENCRYPTION_RECIPIENT or --recipient.';
  static override examples = [
    '<%= config.bin %> backup create',
    '<%= config.bin %> backup create --to /var/backups/analytics --recipient age1...',
    '<%= config.bin %> backup create --json',
  ];
  static override flags = {
    to: Flags.string({ description: 'Directory for the archive (default BACKUP_DIR).' }),
    recipient: Flags.string({ description: 'age public key (age1...) to encrypt to (default BACKUP_ENCRYPTION_RECIPIENT).' }),
  };

  async run(): Promise<BackupCreateResult> {
    const config = this.loadConfig();
    const quiet = this.jsonEnabled() || !process.stderr.isTTY;
    const result = await withProgress('Backing up', { quiet }, (report) =>
      runBackupCreate(config, { to: this.flags.to, recipient: this.flags.recipient, onProgress: report }),
    );
    if (process.stdout.isTTY) {
      this.log(`Wrote ${result.path} (${formatBytes(result.bytes)}, ${result.compression}${result.encrypted ? ', age-encrypted' : ''}) in ${result.durationMs} ms.`);
    }
    return result;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
