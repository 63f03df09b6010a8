import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, LOCK_FILE_NAME } from '../../../src/lib/storage/data-dir-lock.js';
import { DataDirLockedError, EmbeddedStoreInUseError } from '../../../src/lib/storage/errors.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'hold-data-dir.ts');
const VITE_NODE = join(process.cwd(), 'node_modules', '.bin', 'vite-node');

function writeLock(dir: string, owner: { pid: number; startedAt?: string; hostname?: string }) {
  writeFileSync(
    join(dir, LOCK_FILE_NAME),
    JSON.stringify({
      pid: owner.pid,
      hostname: owner.hostname ?? hostname(),
      startedAt: owner.startedAt ?? new Date().toISOString(),
      command: 'analytics start',
      token: 'foreign',
    }),
  );
}

async function lockError(dir: string): Promise<DataDirLockedError> {
  const error = await acquireDataDirLock(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataDirLockedError);
  return error as DataDirLockedError;
}

/** Starts the fixture in another process and resolves once it holds the lock. */
function startHolder(dataDir: string, what: 'stores' | 'lock', then: 'hold' | 'exit'): Promise<ChildProcess> {
  const child = spawn(VITE_NODE, [FIXTURE, dataDir, what, then], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => {
      if (then === 'exit' && code === 0) resolve(child);
      else reject(new Error(`holder exited with ${code}: ${stderr}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

describe('data-dir lock', () => {
  let temp: TempDir;
  let sleeper: ChildProcess | undefined;

  beforeEach(async () => {
    temp = await makeTempDir('analytics-lock-');
  });
  afterEach(async () => {
    sleeper?.kill();
    sleeper = undefined;
    await temp.remove();
  });

  it('creates the lock file with pid, start time and command, and deletes it on release', async () => {
    const lock = await acquireDataDirLock(temp.path, 'analytics db migrate');
    const content = JSON.parse(readFileSync(lock.lockFile, 'utf8')) as Record<string, unknown>;
    expect(content).toMatchObject({ pid: process.pid, hostname: hostname(), command: 'analytics db migrate' });
    const startedAt = Date.parse(content.startedAt as string);
    expect(Math.abs(startedAt - (Date.now() - process.uptime() * 1000))).toBeLessThan(5_000);
    lock.release();
    lock.release();
    expect(existsSync(lock.lockFile)).toBe(false);
    (await acquireDataDirLock(temp.path)).release();
  });

  it('refuses a second lock in the same process', async () => {
    const lock = await acquireDataDirLock(temp.path);
    try {
      const error = await lockError(temp.path);
      expect(error.owner.pid).toBe(process.pid);
    } finally {
      lock.release();
    }
  });

  it('refuses a lock held by a live process, naming it and the way forward', async () => {
    sleeper = spawn('sleep', ['30']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    writeLock(temp.path, { pid: sleeper.pid as number });
    const error = await lockError(temp.path);
    expect(error.owner.pid).toBe(sleeper.pid);
    expect(error.message).toContain(String(sleeper.pid));
    expect(error.message).toContain('analytics start');
    expect(error.message).toMatch(/Stop that process/);
    expect(error.message).toMatch(/server/);
    expect(error.dataDir).toBe(temp.path);
  });

  it('takes over a lock left by a dead process', async () => {
    const dead = spawn('true');
    await exited(dead);
    writeLock(temp.path, { pid: dead.pid as number });
    const lock = await acquireDataDirLock(temp.path);
    expect(JSON.parse(readFileSync(lock.lockFile, 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it('takes over a lock whose pid now belongs to a process started later (pid reuse)', async () => {
    sleeper = spawn('sleep', ['30']);
    writeLock(temp.path, { pid: sleeper.pid as number, startedAt: '2001-01-01T00:00:00.000Z' });
    const lock = await acquireDataDirLock(temp.path);
    lock.release();
  });

  it('takes over a lock with our own pid left by an earlier process (container restarts)', async () => {
    writeLock(temp.path, { pid: process.pid, startedAt: '2001-01-01T00:00:00.000Z' });
    const lock = await acquireDataDirLock(temp.path);
    lock.release();
  });

  it('treats a lock from another host as live', async () => {
    writeLock(temp.path, { pid: 1, hostname: 'another-host.example' });
    const error = await lockError(temp.path);
    expect(error.message).toContain('another-host.example');
  });

  it('treats a just-created unreadable lock as live and an old one as stale', async () => {
    const file = join(temp.path, LOCK_FILE_NAME);
    writeFileSync(file, '');
    await lockError(temp.path);
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    (await acquireDataDirLock(temp.path)).release();
  });

  it('is released when the owning process exits', async () => {
    // "ready" arrives before the exit: wait for the process to be gone, or the check races its exit hook.
    await exited(await startHolder(temp.path, 'lock', 'exit'));
    expect(existsSync(join(temp.path, LOCK_FILE_NAME))).toBe(false);
  });

  it('makes a second openStores in another process fail with DataDirLockedError', async () => {
    const holder = await startHolder(temp.path, 'stores', 'hold');
    try {
      const { openStores } = await import('../../../src/lib/storage/open.js');
      const error = await openStores({ dataDir: temp.path }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataDirLockedError);
      expect((error as DataDirLockedError).owner.pid).not.toBe(process.pid);
      // Bypassing the lock file, chDB itself refuses the directory; that surfaces as a clear error too.
      const { openChdbStore } = await import('../../../src/lib/storage/clickhouse/index.js');
      const chdbError = await openChdbStore({ path: join(temp.path, 'ch') }).then(
        async (store) => {
          await store.close();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(chdbError).toBeInstanceOf(EmbeddedStoreInUseError);
      expect((chdbError as Error).message).toMatch(/another process/);
    } finally {
      holder.stdin?.end();
      await exited(holder);
    }
    expect(existsSync(join(temp.path, LOCK_FILE_NAME))).toBe(false);
  });
});
