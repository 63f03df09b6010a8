import { BaseCommand } from '../../lib/cli/base-command.js';
import { ExitCode } from '../../lib/cli/errors.js';
import { checkEnv, type EnvCheckResult } from '../../lib/env/inspect.js';

export default class EnvCheck extends BaseCommand<typeof EnvCheck> {
  static override summary = 'Validate the env file and environment, listing every problem.';
  static override description =
    'Reads --env-file and the process environment the way the server does and reports every problem at once, ' +
    'each with the variable at fault and how to fix it. Exits 0 when the configuration is valid, 1 otherwise.';
  static override examples = [
    '<%= config.bin %> env check',
    '<%= config.bin %> env check --env-file /etc/analytics/.env',
    '<%= config.bin %> env check --json | jq .problems',
  ];

  async run(): Promise<EnvCheckResult> {
    const result = checkEnv(this.loadConfigRaw({ strict: true }));
    if (!result.ok) process.exitCode = ExitCode.failure;
    if (!this.jsonEnabled()) {
      for (const w of result.warnings) this.logToStderr(`warning: ${w}`);
      if (result.ok) this.log(`${result.envFile}: OK (${result.storageMode} storage)`);
      for (const p of result.problems) this.log(`✗ ${p.variable} ${p.message} — ${p.fix}`);
    }
    return result;
  }
}
