import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { stackFlags } from '../../lib/compose/flags.js';
import { composePurge, type ComposePurgeResult } from '../../lib/compose/operations.js';
import { composeProject } from '../../lib/compose/project.js';

export default class ComposePurge extends BaseCommand<typeof ComposePurge> {
  static override summary = 'Remove the stack AND its data volumes (every event and account).';
  static override description = 'Asks you to type the project name on a terminal; without a terminal it needs --force. Take a backup first.';
  static override examples = ['<%= config.bin %> compose purge', '<%= config.bin %> compose purge --force --project-name analytics'];
  static override flags = {
    ...stackFlags,
    force: Flags.boolean({ description: 'Do not ask: delete the volumes.' }),
  };

  async run(): Promise<ComposePurgeResult> {
    const result = await composePurge(composeProject(this.flags.dir, this.flags['project-name']), {
      force: this.flags.force,
      canPrompt: this.canPrompt && !this.jsonEnabled(),
    });
    this.log(`Removed ${result.project} and its volumes.`);
    return result;
  }
}
