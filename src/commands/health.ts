import { Flags } from '@oclif/core';
import { UsageError } from '../lib/cli/errors.js';
import { HEALTH_CHECK_NAMES, runHealth, type CheckReport } from '../lib/health/index.js';
import { MonitoringCommand } from '../lib/health/monitoring-command.js';
import { renderReport } from '../lib/health/render.js';
import { watchReports } from '../lib/health/watch.js';

export type HealthResult = CheckReport;

export default class Health extends MonitoringCommand<typeof Health> {
  static override summary = 'Check a running installation; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.';
  static override description =
    'Checks PostgreSQL and ClickHouse (reachable, version), migrations, the server (/api/health), the ingest spool ' +
    '(backlog, flush lag), disk free on DATA_DIR and BACKUP_DIR (warning under 20 %, critical under 10 %), ClickHouse ' +
    'system log size, the newest backup (warning after 26 h), the daily salt rotation, and an end-to-end probe: the ' +
    'server ingests a synthetic pageview for a throwaway probe site, reads it back through the Stats API and deletes it. ' +
    'Each check reports a status, the measured value and, when not OK, the next command to run. While the server runs, ' +
    'it runs the store checks and the probe itself (over DATA_DIR/admin.sock). The exit code follows the monitoring ' +
    'plugin convention (the worst check wins; an error of the command itself is UNKNOWN), so it drops into cron, ' +
    'systemd or a monitoring agent as is.';
  static override examples = [
    '<%= config.bin %> health',
    '<%= config.bin %> health --json',
    '<%= config.bin %> health --check disk --check backup',
    '<%= config.bin %> health --watch --interval 10',
    '# cron: mail when anything is not OK\n*/5 * * * * <%= config.bin %> health --env-file /etc/analytics/.env >/dev/null || echo "analytics health exit $?"',
  ];
  static override flags = {
    check: Flags.string({
      char: 'c',
      description: 'Run only this check (repeatable).',
      multiple: true,
      options: HEALTH_CHECK_NAMES,
    }),
    watch: Flags.boolean({ char: 'w', description: 'Run the checks again every --interval seconds until Ctrl-C.', default: false }),
    interval: Flags.integer({ description: 'Seconds between rounds with --watch.', default: 5, min: 1 }),
  };

  async run(): Promise<HealthResult> {
    const config = this.loadConfig();
    const run = () => runHealth(config, { checks: this.flags.check });
    let report: CheckReport;
    if (this.flags.watch) {
      if (this.jsonEnabled()) throw new UsageError('--watch draws a table for a person; use --json without --watch for machines');
      report = await watchReports(run, {
        intervalMs: this.flags.interval * 1000,
        show: (r) => this.log(`${process.stdout.isTTY ? '\u001B[2J\u001B[H' : '\n'}${renderReport(r)}`),
      });
    } else {
      report = await run();
      this.log(renderReport(report));
    }
    process.exitCode = report.exitCode;
    return report;
  }
}
