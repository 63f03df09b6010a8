import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { stackFlags } from '../../lib/compose/flags.js';
import { composePull, type ComposePullResult } from '../../lib/compose/operations.js';
import { composeProject } from '../../lib/compose/project.js';

export default class ComposePull extends BaseCommand<typeof ComposePull> {
  static override summary = 'Pull the registry images of the stack and rebuild the analytics image.';
  static override description = 'Services with a build section (the analytics server) are built from this package; the others (PostgreSQL, ClickHouse, Caddy) are pulled. Running containers are not touched: `compose up` or `upgrade` switches them.';
  static override examples = ['<%= config.bin %> compose pull', '<%= config.bin %> compose pull --no-build --json'];
  static override flags = {
    ...stackFlags,
    build: Flags.boolean({ description: 'Also build the locally built images.', default: true, allowNo: true }),
    profile: Flags.string({ description: 'Include a profile’s services (caddy).', multiple: true }),
  };

  async run(): Promise<ComposePullResult> {
    const result = await composePull(composeProject(this.flags.dir, this.flags['project-name']), {
      build: this.flags.build,
      profiles: this.flags.profile,
    });
    this.log(`Pulled: ${result.pulled.join(', ') || 'none'}; built: ${result.built.join(', ') || 'none'}.`);
    return result;
  }
}
