import { BaseCommand } from '../../lib/cli/base-command.js';
import { stackFlags } from '../../lib/compose/flags.js';
import { composeDown, type ComposeDownResult } from '../../lib/compose/operations.js';
import { composeProject } from '../../lib/compose/project.js';

export default class ComposeDown extends BaseCommand<typeof ComposeDown> {
  static override summary = 'Stop and remove the stack’s containers; the data volumes stay.';
  static override description = 'Volumes (events, accounts, backups inside them) are kept: `compose up` brings everything back. To delete the data too: `compose purge`.';
  static override examples = ['<%= config.bin %> compose down', '<%= config.bin %> compose down --dir /opt/analytics --json'];
  static override flags = { ...stackFlags };

  async run(): Promise<ComposeDownResult> {
    const result = await composeDown(composeProject(this.flags.dir, this.flags['project-name']));
    this.log(`Stopped ${result.project}; volumes kept.`);
    return result;
  }
}
