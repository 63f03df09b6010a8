/** `backup list`, `backup verify`, `backup prune`: the archives in BACKUP_DIR and their sidecars. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../cli/errors.js';
import { openStores } from '../storage/open.js';
import { fileDigest } from './archive.js';
import { writeSidecar } from './create.js';
import { BackupCorruptError } from './errors.js';
import { checkArchive, restoreBackup, type RestoreTableResult } from './restore.js';
import { isArchiveName, resolveArchive } from './run.js';
import { readSidecar, sidecarPath } from './sidecar.js';
import { makeScratchDir } from './scratch.js';

export interface BackupEntry {
  name: string;
  path: string;
  createdAt: string;
  bytes: number;
  /** Storage mode the backup was taken from; undefined when its sidecar is missing. */
  mode?: string;
  encrypted: boolean;
  verified: boolean;
  verifiedAt?: string;
}

function createdAtFromName(file: string): string | undefined {
  const match = /^analytics-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(file);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}.000Z`;
}

/** Archives in dir, newest first. */
export function listBackups(dir: string): BackupEntry[] {
  if (!existsSync(dir)) return [];
  const entries: BackupEntry[] = [];
  for (const file of readdirSync(dir)) {
    if (!isArchiveName(file)) continue;
    const full = path.join(dir, file);
    const sidecar = readSidecar(full);
    const verification = sidecar?.verification;
    entries.push({
      name: file,
      path: full,
      createdAt: sidecar?.manifest.createdAt ?? createdAtFromName(file) ?? statSync(full).mtime.toISOString(),
      bytes: statSync(full).size,
      ...(sidecar ? { mode: sidecar.manifest.storage.mode } : {}),
      encrypted: file.endsWith('.age'),
      verified: Boolean(verification?.ok),
      ...(verification?.ok ? { verifiedAt: verification.at } : {}),
    });
  }
  return entries.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.name.localeCompare(a.name));
}

export interface BackupVerifyResult {
  name: string;
  path: string;
  ok: true;
  createdAt: string;
  tables: RestoreTableResult[];
  durationMs: number;
}

/**
 * Checks the file against its sidecar digest, every member against the manifest, then restores it
 * into scratch embedded stores (a temp PGlite and chDB, never the live ones) and compares row counts
 * and checksums with the manifest. The outcome is recorded in the sidecar for `list` and `prune`.
 */
export async function verifyBackup(
  dir: string,
  nameOrPath: string | undefined,
  identities: string[],
  onProgress: (step: string) => void = () => undefined,
): Promise<BackupVerifyResult> {
  const started = Date.now();
  const newest = listBackups(dir)[0];
  if (!nameOrPath && !newest) {
    throw new UserError(`There are no backups in ${dir}`, { code: 'NO_BACKUPS', actions: ['analytics backup create'] });
  }
  const archive = nameOrPath ? resolveArchive(dir, nameOrPath) : (newest as BackupEntry).path;
  const sidecar = readSidecar(archive);
  try {
    if (sidecar) {
      onProgress('comparing the file with its recorded sha256');
      const digest = await fileDigest(archive);
      if (digest.bytes !== sidecar.archive.bytes) {
        throw new BackupCorruptError(archive, `it has ${digest.bytes} bytes, ${sidecar.archive.bytes} were written`);
      }
      if (digest.sha256 !== sidecar.archive.sha256) throw new BackupCorruptError(archive, 'its sha256 differs from the one recorded when it was written');
    }
    onProgress('restoring into scratch databases');
    const scratch = await makeScratchDir();
    let tables: RestoreTableResult[];
    try {
      const stores = await openStores({ dataDir: scratch.path });
      try {
        tables = (await restoreBackup(stores, archive, { identities, force: true, migrateForward: false, onProgress })).tables;
      } finally {
        await stores.close();
      }
    } finally {
      await scratch.remove();
    }
    const manifest = sidecar?.manifest ?? (await checkArchive(archive, identities)).manifest;
    const digest = sidecar?.archive ?? { file: path.basename(archive), ...(await fileDigest(archive)) };
    await writeSidecar(archive, { manifest, archive: digest, verification: { at: new Date().toISOString(), ok: true } });
    return { name: path.basename(archive), path: archive, ok: true, createdAt: manifest.createdAt, tables, durationMs: Date.now() - started };
  } catch (error) {
    if (sidecar && error instanceof BackupCorruptError) {
      await writeSidecar(archive, { ...sidecar, verification: { at: new Date().toISOString(), ok: false, detail: error.message } });
    }
    throw error;
  }
}

export interface PruneOptions {
  keepDaily: number;
  keepWeekly: number;
  keepMonthly: number;
  dryRun: boolean;
}

export interface BackupPruneResult {
  dryRun: boolean;
  kept: { name: string; reasons: string[] }[];
  deleted: string[];
}

function isoWeek(date: Date): string {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const day = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/** Pure: which backups (newest first) each rule keeps. */
export function planPrune(backups: BackupEntry[], keep: Omit<PruneOptions, 'dryRun'>): Map<string, string[]> {
  const reasons = new Map<string, string[]>();
  const add = (name: string, reason: string) => reasons.set(name, [...(reasons.get(name) ?? []), reason]);
  const rules: [string, number, (d: Date) => string][] = [
    ['daily', keep.keepDaily, (d) => d.toISOString().slice(0, 10)],
    ['weekly', keep.keepWeekly, isoWeek],
    ['monthly', keep.keepMonthly, (d) => d.toISOString().slice(0, 7)],
  ];
  for (const [rule, count, period] of rules) {
    const seen = new Set<string>();
    for (const backup of backups) {
      if (seen.size >= count) break;
      const key = period(new Date(backup.createdAt));
      if (seen.has(key)) continue;
      seen.add(key);
      add(backup.name, `${rule} ${key}`);
    }
  }
  const newestVerified = backups.find((b) => b.verified);
  if (newestVerified) add(newestVerified.name, 'newest verified');
  return reasons;
}

export async function pruneBackups(dir: string, options: PruneOptions): Promise<BackupPruneResult> {
  const backups = listBackups(dir);
  const keep = planPrune(backups, options);
  const deleted: string[] = [];
  for (const backup of backups) {
    if (keep.has(backup.name)) continue;
    deleted.push(backup.name);
    if (!options.dryRun) {
      await rm(backup.path, { force: true });
      await rm(sidecarPath(backup.path), { force: true });
    }
  }
  return {
    dryRun: options.dryRun,
    kept: backups.filter((b) => keep.has(b.name)).map((b) => ({ name: b.name, reasons: keep.get(b.name) ?? [] })),
    deleted,
  };
}
