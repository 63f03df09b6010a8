import { AnalyticsError, UserError } from '../cli/errors.js';

/** Exit code of a backup or restore that found another one running (README's exit code table). */
export const BACKUP_BUSY_EXIT_CODE = 5;

/** The archive is damaged: a flipped byte, a cut-off file, a checksum that does not match. */
export class BackupCorruptError extends UserError {
  constructor(path: string, detail: string) {
    super(`The backup archive ${path} is damaged or incomplete: ${detail}. Nothing was changed.`, {
      code: 'BACKUP_CORRUPT',
      actions: ['restore another backup: analytics backup list', 'check the copy (size, transfer) of this one'],
      details: { path, detail },
    });
  }
}

/** Another backup or restore holds the BACKUP_DIR lock: cron started one while the last still runs. */
export class BackupBusyError extends AnalyticsError {
  readonly kind = 'action-needed' as const;
  constructor(lockFile: string, owner: { pid: number; command: string; startedAt: string }) {
    super(
      `Another backup is running (process ${owner.pid}, ${owner.command || 'unknown command'}, started ` +
        `${owner.startedAt || 'at an unknown time'}); it holds ${lockFile}. This one did nothing.`,
      {
        code: 'BACKUP_BUSY',
        exitCode: BACKUP_BUSY_EXIT_CODE,
        actions: ['wait for it to finish (analytics backup list shows it when done)', `if no such process exists, delete ${lockFile}`],
        details: { lockFile, owner },
      },
    );
  }
}
