import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { describeServices } from '../../lib/compose/describe.js';
import { stackFlags } from '../../lib/compose/flags.js';
import { composeRestart, type ComposeRestartResult } from '../../lib/compose/operations.js';
import { composeProject } from '../../lib/compose/project.js';

export default class ComposeRestart extends BaseCommand<typeof ComposeRestart> {
  static override summary = 'Restart services and wait until they are healthy again.';
  static override examples = ['<%= config.bin %> compose restart', '<%= config.bin %> compose restart analytics --json'];
  static override strict = false;
  static override args = { services: Args.string({ description: 'Services (default: all).' }) };
  static override flags = {
    ...stackFlags,
    timeout: Flags.integer({ description: 'Seconds to wait for health.', default: 180, min: 1 }),
  };

  async run(): Promise<ComposeRestartResult> {
    const { flags, argv } = await this.parse(ComposeRestart);
    const result = await composeRestart(composeProject(flags.dir, flags['project-name']), {
      services: argv as string[],
      timeoutMs: flags.timeout * 1000,
    });
    this.log(describeServices(result.services));
    return result;
  }
}
