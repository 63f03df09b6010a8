import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { stackFlags } from '../../lib/compose/flags.js';
import { composeUp, type ComposeUpResult } from '../../lib/compose/operations.js';
import { composeProject } from '../../lib/compose/project.js';
import { describeServices } from '../../lib/compose/describe.js';

export default class ComposeUp extends BaseCommand<typeof ComposeUp> {
  static override summary = 'Start the Docker Compose stack and wait until it is healthy.';
  static override description =
    'Runs `docker compose up -d` (or `docker-compose` v1 when the plugin is missing) in --dir, then waits for every ' +
    'container to be running and healthy (read through the Docker API). Exit 3 when the stack is not ready in time.';
  static override examples = [
    '<%= config.bin %> compose up',
    '<%= config.bin %> compose up --dir /opt/analytics --profile caddy',
    '<%= config.bin %> compose up postgres --no-wait --json',
  ];
  static override strict = false;
  static override args = { services: Args.string({ description: 'Services to start (default: all).' }) };
  static override flags = {
    ...stackFlags,
    profile: Flags.string({ description: 'Enable a profile (caddy: automatic TLS).', multiple: true }),
    build: Flags.boolean({ description: 'Build the analytics image before starting.' }),
    wait: Flags.boolean({ description: 'Wait for health checks.', default: true, allowNo: true }),
    timeout: Flags.integer({ description: 'Seconds to wait for health.', default: 180, min: 1 }),
  };

  async run(): Promise<ComposeUpResult> {
    const { flags, argv } = await this.parse(ComposeUp);
    const result = await composeUp(composeProject(flags.dir, flags['project-name']), {
      services: argv as string[],
      profiles: flags.profile,
      build: flags.build,
      wait: flags.wait,
      timeoutMs: flags.timeout * 1000,
    });
    this.log(describeServices(result.services));
    return result;
  }
}
