import type { Command } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { asMonitoringError } from './errors.js';
import { STATUS_EXIT_CODE } from './types.js';

/**
 * `health` and `doctor`: commands a monitoring agent runs. Any failure of the command itself (bad config, bad
 * flag) is UNKNOWN (3), never read as WARNING (1) or CRITICAL (2).
 */
export abstract class MonitoringCommand<T extends typeof Command> extends BaseCommand<T> {
  // Restated: without it oclif's manifest stops recording enableJsonFlag for health and doctor.
  static override enableJsonFlag = true;

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    const result = await super.catch(asMonitoringError(err));
    process.exitCode = STATUS_EXIT_CODE.UNKNOWN;
    return result;
  }
}
