/**
 * `analytics doctor`: preflight for a host before setup. Same registry, statuses, output and exit codes
 * as `analytics health`; nothing here needs the databases or a running server.
 */
import type { AppConfig } from '../config/schema.js';
import { diskCheck } from '../health/disk.js';
import { runChecks, selectChecks, type CheckDefinition } from '../health/registry.js';
import type { CheckReport } from '../health/types.js';
import { writableCheck } from './directories.js';
import { composeCheck, dockerCheck } from './docker.js';
import { clockCheck, dnsCheck, portsCheck } from './network.js';
import { cpuCheck, memoryCheck, osCheck } from './system.js';

export interface DoctorOptions {
  checks?: string[];
  /** Ports that must be free; default 80, 443 and PORT. */
  ports?: number[];
  /** A URL whose Date header the clock is compared with; default: timedatectl's NTP status. */
  timeUrl?: string;
  /** Test seams for the machine's files; default /proc/cpuinfo, /proc/meminfo, the cgroup limit. */
  cpuinfoPath?: string;
  meminfoPath?: string;
  cgroupMemoryPath?: string;
}

interface DoctorContext {
  config: AppConfig;
  options: DoctorOptions;
}

export const DOCTOR_CHECKS: readonly CheckDefinition<DoctorContext>[] = [
  { name: 'os', title: 'OS and architecture', run: () => Promise.resolve(osCheck()) },
  { name: 'cpu', title: 'CPU flags for ClickHouse', run: (ctx) => cpuCheck(ctx.options.cpuinfoPath) },
  { name: 'memory', title: 'memory', run: (ctx) => memoryCheck(ctx.options.meminfoPath, ctx.options.cgroupMemoryPath) },
  { name: 'disk', title: 'disk free', run: (ctx) => diskCheck({ DATA_DIR: ctx.config.dataDir, BACKUP_DIR: ctx.config.backup.dir }) },
  {
    name: 'ports',
    title: 'ports free',
    run: (ctx) => portsCheck(ctx.options.ports ?? [...new Set([80, 443, ctx.config.port])], ctx.config.port),
  },
  { name: 'docker', title: 'Docker engine', timeoutMs: 12_000, run: () => dockerCheck() },
  { name: 'compose', title: 'Docker Compose', timeoutMs: 25_000, run: () => composeCheck() },
  { name: 'dns', title: 'DNS of BASE_URL', timeoutMs: 7_000, run: (ctx) => dnsCheck(ctx.config.baseUrl) },
  { name: 'clock', title: 'clock', timeoutMs: 7_000, run: (ctx) => clockCheck(ctx.options.timeUrl) },
  { name: 'data-dir', title: 'DATA_DIR writable', run: (ctx) => writableCheck('DATA_DIR', ctx.config.dataDir) },
  { name: 'backup-dir', title: 'BACKUP_DIR writable', run: (ctx) => writableCheck('BACKUP_DIR', ctx.config.backup.dir) },
];

export const DOCTOR_CHECK_NAMES = DOCTOR_CHECKS.map((c) => c.name);

export function runDoctor(config: AppConfig, options: DoctorOptions = {}): Promise<CheckReport> {
  return runChecks(selectChecks(DOCTOR_CHECKS, options.checks), { config, options }, { command: 'doctor' });
}
