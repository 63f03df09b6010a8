import { Command, Flags, type Interfaces } from '@oclif/core';
import chalk from 'chalk';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { AppConfig } from '../config/schema.js';
import { AnalyticsError, ExitCode, UserError, type ErrorJson } from './errors.js';
import { toAnalyticsError } from './error-mapping.js';

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/**
 * Shared by every command: `--json`, `--env-file`, `--data-dir`, config loading, and one place that
 * turns any error into a clear message (or JSON) and the exit code from DESIGN §3.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    'env-file': Flags.string({
      description: 'Env file to read configuration from.',
      default: '.env',
      helpGroup: 'GLOBAL',
    }),
    'data-dir': Flags.string({
      description: 'Data directory for the embedded stores (overrides DATA_DIR).',
      helpGroup: 'GLOBAL',
    }),
  };

  protected flags!: CommandFlags<T>;
  protected args!: CommandArgs<T>;

  public override async init(): Promise<void> {
    await super.init();
    const ctor = this.ctor as typeof BaseCommand;
    const { args, flags } = await this.parse({
      flags: ctor.flags,
      baseFlags: ctor.baseFlags,
      enableJsonFlag: ctor.enableJsonFlag,
      args: ctor.args,
      strict: ctor.strict,
    });
    this.flags = flags as CommandFlags<T>;
    this.args = args as CommandArgs<T>;
  }

  /** Values that flags of this command contribute to the configuration, by variable name. */
  protected configFlags(): Record<string, string | undefined> {
    return { DATA_DIR: this.flags['data-dir'] };
  }

  protected loadConfigRaw(options: { strict?: boolean } = {}): LoadedConfig {
    return loadConfig({ envFile: this.flags['env-file'], flags: this.configFlags(), strict: options.strict });
  }

  /** The validated configuration, or a user error listing every problem at once. */
  protected loadConfig(): AppConfig {
    const loaded = this.loadConfigRaw();
    for (const warning of loaded.warnings) this.logToStderr(chalk.yellow(`Warning: ${warning}`));
    if (!loaded.config) {
      throw new UserError(
        `The configuration has ${loaded.problems.length} problem(s):\n` +
          loaded.problems.map((p) => `  - ${p.variable} ${p.message}: ${p.fix}`).join('\n'),
        { code: 'INVALID_CONFIG', actions: ['analytics env check'], details: { problems: loaded.problems } },
      );
    }
    return loaded.config;
  }

  /** Prompts need a person: a terminal on stdin and on stderr (where prompts are drawn). */
  protected get canPrompt(): boolean {
    return Boolean(process.stdin.isTTY && process.stderr.isTTY);
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    const error = toAnalyticsError(err);
    process.exitCode = error?.exitCode ?? ExitCode.failure;
    if (this.jsonEnabled()) {
      this.logJson({ error: error ? error.toJSON() : bugJson(err) });
      return;
    }
    if (!error) {
      process.stderr.write(
        `${chalk.red('Error (unexpected, please report it):')} ${err.message}\n` +
          (process.env.DEBUG ? `${err.stack}\n` : chalk.dim('Run again with DEBUG=1 for the stack trace.\n')),
      );
      return;
    }
    process.stderr.write(`${chalk.red('Error:')} ${error.message}\n`);
    for (const action of error.actions) process.stderr.write(`  ${chalk.cyan('→')} ${action}\n`);
  }
}

function bugJson(err: Error): ErrorJson {
  return { code: 'BUG', kind: 'user', message: err.message, actions: [], exitCode: ExitCode.failure };
}

export { AnalyticsError };
