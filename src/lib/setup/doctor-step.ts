import { execa } from 'execa';
import { UserError } from '../cli/errors.js';
import { binRunPath } from '../templates/paths.js';
import { record, type SetupContext } from './types.js';

/**
 * Preflight through `analytics doctor` when this installation has it (it checks CPU flags, RAM, disk, ports,
 * Docker). Run as its own process so setup does not depend on doctor's internals, only on its exit code.
 */
export async function doctorStep(ctx: SetupContext, options: { available: boolean; envFile: string; skip: boolean }): Promise<string> {
  if (options.skip) return record(ctx, 'doctor', 'skipped', '--skip-doctor');
  if (!options.available) return record(ctx, 'doctor', 'skipped', 'analytics doctor is not part of this version');
  const result = await execa(process.execPath, [binRunPath(), 'doctor', '--env-file', options.envFile], { reject: false });
  // doctor follows the monitoring convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
  if (result.exitCode === 0 || result.exitCode === 1) {
    return record(ctx, 'doctor', 'done', result.exitCode === 1 ? 'warnings: see analytics doctor' : 'ok');
  }
  throw new UserError(`The preflight found problems:\n${String(result.stdout)}${String(result.stderr)}`.trimEnd(), {
    code: 'PREFLIGHT_FAILED',
    actions: ['analytics doctor', 'fix what it reports, then run analytics setup again (or --skip-doctor)'],
  });
}
