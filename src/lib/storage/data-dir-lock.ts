/**
 * The embedded stores must have one owner: PGlite has no lock of its own (two processes on one
 * directory corrupt it) and chDB refuses a second process with an obscure error. The process that
 * opens DATA_DIR therefore creates DATA_DIR/analytics.lock exclusively (O_EXCL), holding who it is.
 * A lock left by a dead process is taken over; a live owner gets a DataDirLockedError.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataDirLockedError, type DataDirLockOwner } from './errors.js';

export const LOCK_FILE_NAME = 'analytics.lock';
/** A lock file younger than this with unreadable content is being written right now: treat as live. */
const FRESH_LOCK_GRACE_MS = 2_000;
/** /proc start times are in clock ticks; tolerate rounding and clock adjustments. */
const START_TIME_TOLERANCE_MS = 5_000;

interface LockContent extends DataDirLockOwner {
  /** Distinguishes our lock from a later one written by a process that reused our pid. */
  token: string;
}

export interface DataDirLock {
  readonly dataDir: string;
  readonly lockFile: string;
  /** Deletes the lock file if it is still ours; idempotent. */
  release(): void;
}

/** Lock files held by this process, so a second open here fails instead of sharing the directory. */
const heldByThisProcess = new Set<string>();

export async function acquireDataDirLock(
  dataDir: string,
  command = describeCommand(),
  options: { fileName?: string } = {},
): Promise<DataDirLock> {
  const dir = resolve(dataDir);
  await mkdir(dir, { recursive: true });
  // Other single-owner directories (BACKUP_DIR) reuse the same stale-lock handling under their own file name.
  const lockFile = join(dir, options.fileName ?? LOCK_FILE_NAME);
  const content: LockContent = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date(processStartTimeMs(process.pid) ?? Date.now()).toISOString(),
    command,
    token: randomBytes(8).toString('hex'),
  };

  // Two rounds: the first may find a stale lock and remove it; the second must then win.
  for (let attempt = 0; attempt < 2; attempt += 1) {
    if (tryCreate(lockFile, content)) return holdLock(dir, lockFile, content.token);
    const existing = readLock(lockFile);
    if (existing === 'gone') continue;
    if (existing === 'unreadable') {
      if (ageMs(lockFile) < FRESH_LOCK_GRACE_MS) throw lockedBy(dir, lockFile, unknownOwner());
      removeStale(lockFile, undefined);
      continue;
    }
    if (isLive(existing, lockFile)) throw lockedBy(dir, lockFile, existing);
    removeStale(lockFile, existing.token);
  }
  const owner = readLock(lockFile);
  throw lockedBy(dir, lockFile, typeof owner === 'object' ? owner : unknownOwner());
}

function tryCreate(lockFile: string, content: LockContent): boolean {
  let fd: number;
  try {
    fd = openSync(lockFile, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${JSON.stringify(content, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

function holdLock(dataDir: string, lockFile: string, token: string): DataDirLock {
  heldByThisProcess.add(lockFile);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    heldByThisProcess.delete(lockFile);
    process.removeListener('exit', release);
    const current = readLock(lockFile);
    // Never delete a lock someone else took over (e.g. after we were judged dead).
    if (typeof current === 'object' && current.token === token) {
      try {
        unlinkSync(lockFile);
      } catch {
        // Already gone: nothing to release.
      }
    }
  };
  process.once('exit', release);
  return { dataDir, lockFile, release };
}

function readLock(lockFile: string): LockContent | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(lockFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockContent>;
    if (typeof parsed.pid !== 'number' || !Number.isInteger(parsed.pid)) return 'unreadable';
    return {
      pid: parsed.pid,
      hostname: typeof parsed.hostname === 'string' ? parsed.hostname : '',
      startedAt: typeof parsed.startedAt === 'string' ? parsed.startedAt : '',
      command: typeof parsed.command === 'string' ? parsed.command : '',
      token: typeof parsed.token === 'string' ? parsed.token : '',
    };
  } catch {
    return 'unreadable';
  }
}

function isLive(owner: LockContent, lockFile: string): boolean {
  // A process on another machine sharing the volume cannot be checked: assume it is alive.
  if (owner.hostname && owner.hostname !== hostname()) return true;
  if (owner.pid === process.pid) {
    // Ours now, or left by an earlier process that had our pid (containers restart as pid 1).
    return heldByThisProcess.has(lockFile);
  }
  if (!pidExists(owner.pid)) return false;
  // The pid exists, but it may have been reused by an unrelated process since the lock was written.
  const actualStart = processStartTimeMs(owner.pid);
  const recordedStart = Date.parse(owner.startedAt);
  if (actualStart !== undefined && Number.isFinite(recordedStart)) {
    return Math.abs(actualStart - recordedStart) <= START_TIME_TOLERANCE_MS;
  }
  return true;
}

function pidExists(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Moves a stale lock aside before deleting it, so two processes taking over at once cannot delete
 * each other's fresh lock: only the one whose rename still finds the stale content removes it.
 */
function removeStale(lockFile: string, staleToken: string | undefined): void {
  const aside = `${lockFile}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lockFile, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = readLock(aside);
  const wasStale = typeof moved === 'object' ? moved.token === staleToken : staleToken === undefined;
  if (!wasStale) {
    // We moved someone's fresh lock: put it back (if nobody created another meanwhile).
    try {
      renameSync(aside, lockFile);
      return;
    } catch {
      // Fall through and drop it; the next round reports whoever holds the lock now.
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // Already removed.
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

let bootTimeMs: number | undefined;
/** Linux: when a process started, from /proc (undefined elsewhere or when unreadable). */
function processStartTimeMs(pid: number): number | undefined {
  try {
    if (bootTimeMs === undefined) {
      const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
      if (!btime?.[1]) return undefined;
      bootTimeMs = Number(btime[1]) * 1000;
    }
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]);
    if (!Number.isFinite(startTicks)) return undefined;
    const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ is 100 on every Linux ABI Node supports
    return bootTimeMs + (startTicks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

function describeCommand(): string {
  const args = process.argv.slice(1).map((arg) => (arg.length > 120 ? `${arg.slice(0, 117)}...` : arg));
  return args.join(' ').slice(0, 400);
}

function unknownOwner(): DataDirLockOwner {
  return { pid: 0, hostname: '', startedAt: '', command: 'unknown (lock file being written or unreadable)' };
}

function lockedBy(dataDir: string, lockFile: string, owner: DataDirLockOwner): DataDirLockedError {
  const { pid, hostname: host, startedAt, command } = owner;
  return new DataDirLockedError({ dataDir, lockFile, owner: { pid, hostname: host, startedAt, command } });
}
