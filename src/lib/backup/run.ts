/**
 * What the backup commands call: where to run (through the running server's admin socket, which owns
 * the embedded stores and the ingest spool, or on stores opened here), the BACKUP_DIR lock, and the
 * archive's name resolution.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { callAdminSocket } from '../admin/client.js';
import { UsageError } from '../cli/errors.js';
import { adminSocketPath } from '../admin/protocol.js';
import type { AppConfig } from '../config/schema.js';
import { withStores } from '../db/connect.js';
import { acquireDataDirLock, type DataDirLock } from '../storage/data-dir-lock.js';
import { DataDirLockedError } from '../storage/errors.js';
import { createBackup, type BackupCreateResult } from './create.js';
import { BackupBusyError } from './errors.js';
import { readIdentityFiles, requireArchive, restoreBackup, type RestoreResult } from './restore.js';

export const BACKUP_LOCK_FILE = 'backup.lock';
/** A backup of a large ClickHouse can take hours; the server answers when it is done. */
const SERVER_OPERATION_TIMEOUT_MS = 12 * 60 * 60_000;

/** Only one backup or restore at a time per BACKUP_DIR (cron overlapping a slow run). */
export async function withBackupLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  let lock: DataDirLock;
  try {
    lock = await acquireDataDirLock(dir, undefined, { fileName: BACKUP_LOCK_FILE });
  } catch (error) {
    if (error instanceof DataDirLockedError) throw new BackupBusyError(error.lockFile, error.owner);
    throw error;
  }
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/** Sends the operation to a running server when one serves DATA_DIR's admin socket. */
async function viaServer(config: AppConfig, name: 'backup.create' | 'restore', input: unknown): Promise<{ answered: boolean; result?: unknown }> {
  const socket = adminSocketPath(config.dataDir);
  if (!existsSync(socket)) return { answered: false };
  const call = await callAdminSocket(socket, name, input, { timeoutMs: SERVER_OPERATION_TIMEOUT_MS });
  return call.answered ? { answered: true, result: call.result } : { answered: false };
}

export interface BackupCreateOptions {
  to?: string | undefined;
  recipient?: string | undefined;
  onProgress?: (step: string) => void;
}

export async function runBackupCreate(config: AppConfig, options: BackupCreateOptions = {}): Promise<BackupCreateResult> {
  const dir = path.resolve(options.to ?? config.backup.dir);
  const recipient = options.recipient ?? config.backup.encryptionRecipient;
  if (recipient !== undefined && !/^age1[0-9a-z]{58}$/.test(recipient)) {
    throw new UsageError(`${recipient} is not an age recipient (age1 followed by 58 letters and digits)`, {
      code: 'INVALID_RECIPIENT',
      actions: ['print the recipient of your key file: age-keygen -y key.txt'],
    });
  }
  return withBackupLock(dir, async () => {
    options.onProgress?.('asking the running server, if any');
    const remote = await viaServer(config, 'backup.create', { dir, ...(recipient ? { recipient } : {}) });
    if (remote.answered) return remote.result as BackupCreateResult;
    return withStores(config, (stores) => createBackup(stores, { dir, recipient, onProgress: options.onProgress }));
  });
}

/** NAME (a file in BACKUP_DIR, with or without its extensions) or a path to an archive. */
export function resolveArchive(dir: string, nameOrPath: string): string {
  if (existsSync(nameOrPath) && !nameOrPath.endsWith('/')) return path.resolve(nameOrPath);
  const inDir = path.join(dir, nameOrPath);
  if (existsSync(inDir)) return path.resolve(inDir);
  if (existsSync(dir)) {
    const match = readdirSync(dir).find((file) => isArchiveName(file) && file.startsWith(`${nameOrPath}.tar.`));
    if (match) return path.resolve(dir, match);
  }
  requireArchive(path.resolve(inDir));
  return path.resolve(inDir);
}

export const isArchiveName = (file: string) => /^analytics-.+\.tar\.(zst|gz)(\.age)?$/.test(file);

export interface RestoreCommandOptions {
  identityFiles?: string[];
  force?: boolean;
  onProgress?: (step: string) => void;
}

export async function runRestore(config: AppConfig, nameOrPath: string, options: RestoreCommandOptions = {}): Promise<RestoreResult> {
  const archive = resolveArchive(config.backup.dir, nameOrPath);
  const identityFiles = (options.identityFiles ?? []).map((file) => path.resolve(file));
  // Read early: a missing or empty identity file fails before anything else happens.
  const identities = readIdentityFiles(identityFiles);
  return withBackupLock(config.backup.dir, async () => {
    const remote = await viaServer(config, 'restore', { archive, identityFiles, force: Boolean(options.force) });
    if (remote.answered) return remote.result as RestoreResult;
    return withStores(config, (stores) =>
      restoreBackup(stores, archive, { identities, force: Boolean(options.force), onProgress: options.onProgress }),
    );
  });
}
