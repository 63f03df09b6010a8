/** Can the server write where it has to: DATA_DIR (databases, spool, socket) and BACKUP_DIR. */
import { randomBytes } from 'node:crypto';
import { stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errorText, notOk, ok, type CheckOutcome } from '../health/types.js';

/** The directory, or the nearest parent that exists (where it would be created). */
async function nearestExisting(dir: string): Promise<{ existing: string; exists: boolean }> {
  let current = path.resolve(dir);
  for (;;) {
    try {
      const info = await stat(current);
      if (!info.isDirectory()) throw Object.assign(new Error(`${current} is not a directory`), { code: 'ENOTDIR' });
      return { existing: current, exists: current === path.resolve(dir) };
    } catch (error) {
      const parent = path.dirname(current);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === current) throw error;
      current = parent;
    }
  }
}

/** Writes and removes a file: the only test that also catches read-only mounts and full disks. */
export async function writableCheck(variable: string, dir: string): Promise<CheckOutcome> {
  let target: { existing: string; exists: boolean };
  try {
    target = await nearestExisting(dir);
  } catch (error) {
    return notOk('CRITICAL', `${dir}: ${errorText(error)}`, `${variable} (${dir}) cannot be used: ${errorText(error)}`, `point ${variable} at a directory (analytics env generate)`, { dir });
  }
  const probe = path.join(target.existing, `.analytics-doctor-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(probe, 'doctor\n', { flag: 'wx', mode: 0o600 });
    await unlink(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return notOk(
      'CRITICAL',
      `${target.existing} not writable (${code})`,
      `Cannot write in ${target.existing}${target.exists ? '' : ` (where ${variable}=${dir} would be created)`}: ${errorText(error)}`,
      code === 'EROFS'
        ? `mount ${target.existing} read-write, or point ${variable} elsewhere`
        : `chown the directory to the account that runs analytics (chown -R analytics: ${target.existing}), or point ${variable} elsewhere`,
      { dir, existing: target.existing, code },
    );
  }
  return ok(target.exists ? `${dir} writable` : `${dir} can be created in ${target.existing}`, { dir, exists: target.exists });
}
