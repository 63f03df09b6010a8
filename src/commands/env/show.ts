import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { showEnv, type EnvShowResult } from '../../lib/env/inspect.js';
import { renderTable } from '../../lib/ui/table.js';

export default class EnvShow extends BaseCommand<typeof EnvShow> {
  static override summary = 'Show the effective configuration and where each value comes from (secrets redacted).';
  static override description =
    'Precedence: flag > process environment > env file > default. Secrets are always redacted, and URLs show no password.';
  static override examples = ['<%= config.bin %> env show', '<%= config.bin %> env show --all --json'];
  static override flags = {
    all: Flags.boolean({ description: 'Also list variables that are not set.' }),
  };

  async run(): Promise<EnvShowResult> {
    const result = showEnv(this.loadConfigRaw(), { all: this.flags.all });
    this.log(
      renderTable(
        ['VARIABLE', 'VALUE', 'SOURCE'],
        result.variables.map((v) => [v.name, v.value ?? '(unset)', v.via ? `${v.source} (as ${v.via})` : v.source]),
      ),
    );
    for (const p of result.problems) this.logToStderr(`problem: ${p.variable} ${p.message} — ${p.fix}`);
    return result;
  }
}
