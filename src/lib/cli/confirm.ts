import { confirm } from '@inquirer/prompts';
import { UsageError, UserError } from './errors.js';

/** Destructive verbs: ask on a terminal, accept --force, and refuse when neither is possible. */
export async function confirmDestructive(options: {
  what: string;
  force: boolean;
  canPrompt: boolean;
  flagHint: string;
}): Promise<void> {
  if (options.force) return;
  if (!options.canPrompt) {
    throw new UsageError(`${options.what} Refusing without confirmation: no terminal to ask on`, {
      code: 'CONFIRMATION_NEEDED',
      actions: [`pass ${options.flagHint} to go ahead`],
    });
  }
  const yes = await confirm({ message: options.what, default: false }, { output: process.stderr });
  if (!yes) throw new UserError('Cancelled; nothing was changed', { code: 'CANCELLED' });
}
