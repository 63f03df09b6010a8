/**
 * Age of the newest backup in BACKUP_DIR. Reading the directory is kept in `listBackups` alone so it
 * can become the backup library's own listing once that lands.
 */
import { readdir, stat } from 'node:fs/promises';
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
}

/** Finished archives only: `analytics-<stamp>.tar[.zst|.gz][.age]`; temporary names are never counted. */
const ARCHIVE = /^analytics-.+\.tar(\.(zst|gz))?(\.age)?$/;

/** Backups in `dir`, newest first; a missing directory has none. */
export async function listBackups(dir: string): Promise<BackupFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const backups: BackupFile[] = [];
  for (const name of names.filter((n) => ARCHIVE.test(n))) {
    const info = await stat(path.join(dir, name));
    if (info.isFile() && info.size > 0) backups.push({ file: path.join(dir, name), createdAt: info.mtime, sizeBytes: info.size });
  }
  return backups.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

export function classifyBackups(backups: BackupFile[], dir: string, now = Date.now()): CheckOutcome {
  const newest = backups[0];
  if (!newest) {
    return notOk('WARNING', 'no backup', `There is no backup in ${dir}`, 'analytics backup create', { dir, count: 0 });
  }
  const ageMs = now - newest.createdAt.getTime();
  const value = `${formatDuration(ageMs)} old (${path.basename(newest.file)})`;
  const details = { dir, count: backups.length, newest: newest.file, createdAt: newest.createdAt.toISOString(), ageSeconds: Math.round(ageMs / 1000) };
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
