/** Age of the newest backup in BACKUP_DIR, from the backup library's own listing. */
import path from 'node:path';
import { formatDuration } from './format.js';
import { notOk, ok, type CheckOutcome } from './types.js';

/** A daily cron job plus two hours of slack. */
export const BACKUP_WARNING_AGE_MS = 26 * 3_600_000;
/** A week without a backup: a disk failure now loses a week. */
export const BACKUP_CRITICAL_AGE_MS = 7 * 24 * 3_600_000;

export interface BackupFile {
  file: string;
  createdAt: Date;
  sizeBytes: number;
  /** `backup verify` restored it into scratch databases and it matched its manifest. */
  verified: boolean;
}

/**
 * Backups in `dir`, newest first, as `analytics backup list` sees them (the sidecar's manifest time,
 * else the time in the name, else the file's mtime). Loaded on demand: the backup library pulls in
 * the archive and restore code, which `health` needs only here.
 */
export async function listBackups(dir: string): Promise<BackupFile[]> {
  const { listBackups: list } = await import('../backup/catalog.js');
  return list(dir).map((b) => ({ file: b.path, createdAt: new Date(b.createdAt), sizeBytes: b.bytes, verified: b.verified }));
}

export function classifyBackups(backups: BackupFile[], dir: string, now = Date.now()): CheckOutcome {
  const newest = backups[0];
  if (!newest) {
    return notOk('WARNING', 'no backup', `There is no backup in ${dir}`, 'analytics backup create', { dir, count: 0 });
  }
  const ageMs = now - newest.createdAt.getTime();
  const value = `${formatDuration(ageMs)} old (${path.basename(newest.file)}${newest.verified ? ', verified' : ''})`;
  const details = {
    dir,
    count: backups.length,
    newest: newest.file,
    createdAt: newest.createdAt.toISOString(),
    ageSeconds: Math.round(ageMs / 1000),
    verified: newest.verified,
  };
  if (ageMs > BACKUP_CRITICAL_AGE_MS) {
    return notOk('CRITICAL', value, `The newest backup is ${formatDuration(ageMs)} old`, 'analytics backup create   (and check the backup cron job)', details);
  }
  if (ageMs > BACKUP_WARNING_AGE_MS) {
    return notOk('WARNING', value, `The newest backup is older than ${formatDuration(BACKUP_WARNING_AGE_MS)}`, 'analytics backup create   (and check the backup cron job)', details);
  }
  return ok(value, details);
}

export async function backupCheck(dir: string, now = Date.now()): Promise<CheckOutcome> {
  return classifyBackups(await listBackups(dir), dir, now);
}
