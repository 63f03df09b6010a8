import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/cli/base-command.js';
import { runServerInForeground, type StartResult } from '../lib/server/foreground.js';

export default class Start extends BaseCommand<typeof Start> {
  static override summary = 'Run the analytics server in the foreground.';
  static override description =
    'Serves the tracker (/js/script.js), event ingestion (/api/event), health (/api/health) and the API. With no ' +
    'DATABASE_URL / CLICKHOUSE_URL it uses embedded PGlite and chDB in DATA_DIR, created and migrated on first start. ' +
    'Logs go to stderr (JSON when not on a terminal). SIGTERM or Ctrl-C stops it cleanly: nothing accepted is lost.';
  static override examples = [
    '<%= config.bin %> start',
    '<%= config.bin %> start --port 8080 --data-dir /var/lib/analytics',
    'LOG_LEVEL=debug <%= config.bin %> start --env-file /etc/analytics/.env',
  ];
  static override flags = {
    port: Flags.integer({ char: 'p', description: 'Port to listen on (overrides PORT; 0 picks a free one).', min: 0, max: 65535 }),
  };

  protected override configFlags(): Record<string, string | undefined> {
    return { ...super.configFlags(), PORT: this.flags.port?.toString() };
  }

  async run(): Promise<StartResult> {
    return runServerInForeground(this.loadConfig());
  }
}
