import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { stackFlags } from '../../lib/compose/flags.js';
import { composeLogs } from '../../lib/compose/operations.js';
import { composeProject } from '../../lib/compose/project.js';

export default class ComposeLogs extends BaseCommand<typeof ComposeLogs> {
  static override summary = 'Show (or follow) the logs of the stack’s services.';
  static override examples = ['<%= config.bin %> compose logs analytics --tail 100', '<%= config.bin %> compose logs --follow'];
  static override enableJsonFlag = false;
  static override strict = false;
  static override args = { services: Args.string({ description: 'Services (default: all).' }) };
  static override flags = {
    ...stackFlags,
    follow: Flags.boolean({ char: 'f', description: 'Keep following new lines.' }),
    tail: Flags.integer({ description: 'Lines per service from the end.', min: 0 }),
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(ComposeLogs);
    await composeLogs(composeProject(flags.dir, flags['project-name']), {
      services: argv as string[],
      follow: flags.follow,
      tail: flags.tail,
    });
  }
}
