import { Flags } from '@oclif/core';
import { DOCTOR_CHECK_NAMES, runDoctor } from '../lib/doctor/index.js';
import { MonitoringCommand } from '../lib/health/monitoring-command.js';
import { renderReport } from '../lib/health/render.js';
import type { CheckReport } from '../lib/health/types.js';

export type DoctorResult = CheckReport;

export default class Doctor extends MonitoringCommand<typeof Doctor> {
  static override summary = 'Preflight a host before setup; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.';
  static override description =
    'Checks OS and architecture, the CPU flags ClickHouse needs (SSE4.2 on x86-64), memory (warns below what ' +
    'ClickHouse needs and points at its low-memory profile), disk free, ports 80/443/PORT free, Docker engine and ' +
    'Compose (v2 or v1) versions, DNS of BASE_URL resolving to this host, clock skew (against --time-url, or NTP ' +
    'status from timedatectl; UNKNOWN when neither is available), and write access to DATA_DIR and BACKUP_DIR. ' +
    'Same output and exit codes as analytics health.';
  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --json',
    '<%= config.bin %> doctor --check ports --port 8080',
    '<%= config.bin %> doctor --check clock --time-url https://www.debian.org/',
  ];
  static override flags = {
    check: Flags.string({ char: 'c', description: 'Run only this check (repeatable).', multiple: true, options: DOCTOR_CHECK_NAMES }),
    port: Flags.integer({ description: 'A port that must be free (repeatable; default 80, 443 and PORT).', multiple: true, min: 1, max: 65535 }),
    'time-url': Flags.string({ description: 'Compare the clock with the Date header of this URL (default: NTP status from timedatectl).' }),
  };

  async run(): Promise<DoctorResult> {
    const report = await runDoctor(this.loadConfig(), {
      checks: this.flags.check,
      ports: this.flags.port,
      timeUrl: this.flags['time-url'],
    });
    this.log(renderReport(report));
    process.exitCode = report.exitCode;
    return report;
  }
}
