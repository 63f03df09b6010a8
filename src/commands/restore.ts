import { Args, Flags } from '@oclif/core';
import type { RestoreResult } from '../lib/backup/restore.js';
import { runRestore } from '../lib/backup/run.js';
import { BaseCommand } from '../lib/cli/base-command.js';
import { withProgress } from '../lib/ui/progress.js';

export default class Restore extends BaseCommand<typeof Restore> {
  static override summary = 'Restore a backup into the configured stores (embedded or servers, whichever mode it came from).';
  static override description =
    'Reads the whole archive first (checksums, manifest) and changes nothing when it is damaged, cut off, encrypted ' +
    'to another key, or from a newer schema than this version. Refuses a target that holds data unless --force. ' +
    'Then replaces both stores, checks row counts and checksums against the manifest and migrates an older backup ' +
    'forward. While `analytics start` owns the data directory, the server performs the restore.';
  static override examples = [
    '<%= config.bin %> restore analytics-20261122T030000Z',
    '<%= config.bin %> restore /mnt/offsite/analytics-20261122T030000Z.tar.zst.age --identity key.txt --force',
  ];
  static override args = {
    backup: Args.string({ description: 'Backup name (from backup list) or path to an archive.', required: true }),
  };
  static override flags = {
    identity: Flags.string({ description: 'age identity file for encrypted backups (repeatable).', multiple: true }),
    force: Flags.boolean({ description: 'Replace a target that already holds data.' }),
  };

  async run(): Promise<RestoreResult> {
    const config = this.loadConfig();
    const quiet = this.jsonEnabled() || !process.stderr.isTTY;
    const result = await withProgress('Restoring', { quiet }, (report) =>
      runRestore(config, this.args.backup, { identityFiles: this.flags.identity ?? [], force: this.flags.force, onProgress: report }),
    );
    const rows = result.tables.reduce((n, t) => n + t.rows, 0);
    this.log(
      `Restored ${rows} rows in ${result.tables.length} tables from ${result.archive} (taken ${result.createdAt}, ` +
        `${result.fromMode} → ${result.toMode})${result.migratedForward ? `; applied ${result.migratedForward} newer migration(s)` : ''}.`,
    );
    return result;
  }
}
