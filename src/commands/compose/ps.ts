import { BaseCommand } from '../../lib/cli/base-command.js';
import { describeServices } from '../../lib/compose/describe.js';
import { stackFlags } from '../../lib/compose/flags.js';
import { composePs, type ComposePsResult } from '../../lib/compose/operations.js';
import { composeProject } from '../../lib/compose/project.js';

export default class ComposePs extends BaseCommand<typeof ComposePs> {
  static override summary = 'State and health of each container of the stack.';
  static override examples = ['<%= config.bin %> compose ps', '<%= config.bin %> compose ps --json'];
  static override flags = { ...stackFlags };

  async run(): Promise<ComposePsResult> {
    const result = await composePs(composeProject(this.flags.dir, this.flags['project-name']));
    this.log(result.services.length ? describeServices(result.services) : `No containers for project ${result.project}.`);
    return result;
  }
}
