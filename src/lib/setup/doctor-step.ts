import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { UserError } from '../cli/errors.js';
import { binRunPath } from '../templates/paths.js';
import { record, type SetupContext } from './types.js';

/** doctor's checks that matter for each way of installing (its `--check` names are part of its CLI). */
const CHECKS: Record<'docker' | 'embedded', string[]> = {
  docker: ['os', 'cpu', 'memory', 'disk', 'docker', 'compose', 'clock'],
  embedded: ['os', 'cpu', 'memory', 'disk', 'clock', 'data-dir', 'backup-dir'],
};

/**
 * Preflight through `analytics doctor` when this installation has it. Run as its own process so setup depends
 * only on doctor's command line and exit codes (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN): only CRITICAL stops
 * setup. Ports are checked on a fresh install only — on a re-run our own server holds them.
 */
export async function doctorStep(
  ctx: SetupContext,
  options: { available: boolean; envFile: string; skip: boolean; mode: 'docker' | 'embedded' },
): Promise<string> {
  if (options.skip) return record(ctx, 'doctor', 'skipped', '--skip-doctor');
  if (!options.available) return record(ctx, 'doctor', 'skipped', 'analytics doctor is not part of this version');
  const checks = [...CHECKS[options.mode], ...(existsSync(options.envFile) ? [] : ['ports'])];
  const args = ['doctor', '--env-file', options.envFile, ...checks.flatMap((c) => ['--check', c])];
  const result = await execa(process.execPath, [binRunPath(), ...args], { reject: false, env: { NO_COLOR: '1' } });
  if (result.exitCode === 2) {
    throw new UserError(`The preflight found critical problems:\n${String(result.stdout)}${String(result.stderr)}`.trimEnd(), {
      code: 'PREFLIGHT_FAILED',
      actions: [`analytics ${args.join(' ')}`, 'fix what it reports, then run analytics setup again (or pass --skip-doctor)'],
    });
  }
  const verdict = result.exitCode === 0 ? 'ok' : result.exitCode === 1 ? 'warnings: see analytics doctor' : `inconclusive (exit ${result.exitCode}): see analytics doctor`;
  return record(ctx, 'doctor', 'done', verdict);
}
