import { existsSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../cli/errors.js';
import { generateEnv, type AnswerFlag } from '../env/generate.js';
import type { Prompter } from '../env/prompter.js';
import { record, type SetupContext } from './types.js';

export interface EnvStepOptions {
  envFile: string;
  answers: Partial<Record<AnswerFlag, string>>;
  storage: 'embedded' | 'servers';
  yes: boolean;
  prompter?: Prompter;
  dryRun: boolean;
}

/**
 * The env file: an existing one is kept as it is (re-running setup must not rotate secrets or change answers;
 * `analytics env generate --force` is the way to change it), a missing one is written by the env wizard.
 */
export async function envStep(ctx: SetupContext, options: EnvStepOptions): Promise<string> {
  const file = path.resolve(options.envFile);
  if (existsSync(file)) return record(ctx, 'env', 'existing', file);
  if (options.dryRun) {
    // The files to show are filled from the configuration, and a dry run writes nothing: not even .env.
    throw new UsageError(`--dry-run needs an existing env file (${file})`, {
      code: 'DRY_RUN_NEEDS_ENV',
      actions: ['analytics env generate   (then analytics setup --dry-run)', 'analytics setup   (without --dry-run)'],
    });
  }
  const result = await generateEnv({
    output: file,
    answers: { ...options.answers, storage: options.storage },
    yes: options.yes,
    force: false,
    rotateSecrets: false,
    prompter: options.prompter,
  });
  return record(ctx, 'env', 'done', `${result.path}, generated ${result.generatedSecrets.join(', ')}`);
}
