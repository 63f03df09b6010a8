import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { ExternalCommandError, UserError, tail } from '../cli/errors.js';
import { binRunPath } from '../templates/paths.js';

export const SERVICE_UNIT = 'analytics.service';
export const BACKUP_TIMER = 'analytics-backup.timer';

/** systemd is the init system (not merely installed): the check systemd's own sd_booted() makes. */
export function systemdIsInit(): boolean {
  return existsSync('/run/systemd/system');
}

export interface UnitVerification {
  tool: 'systemd-analyze' | 'parser';
  files: string[];
}

/**
 * `systemd-analyze verify` when it is installed (it checks directives, the ExecStart binary, the timer's unit);
 * otherwise a parser check of what would make systemd refuse the unit.
 */
export async function verifyUnits(files: string[]): Promise<UnitVerification> {
  const probe = await execa('systemd-analyze', ['--version'], { reject: false });
  if (probe.exitCode === 0) {
    const result = await execa('systemd-analyze', ['verify', ...files], { reject: false });
    if (result.exitCode !== 0 || String(result.stderr).trim() !== '') {
      throw new ExternalCommandError(`systemd-analyze verify ${files.join(' ')}`, result.exitCode, tail(String(result.stderr)), {
        actions: ['fix the unit (or the template), then run analytics setup --embedded again'],
      });
    }
    return { tool: 'systemd-analyze', files };
  }
  for (const file of files) parseUnit(file);
  return { tool: 'parser', files };
}

/** Sections and keys as systemd reads them; refuses what systemd would refuse first. */
export function parseUnit(file: string): Record<string, Record<string, string[]>> {
  const sections: Record<string, Record<string, string[]>> = {};
  let current: Record<string, string[]> | undefined;
  readFileSync(file, 'utf8').split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      current = sections[header[1] as string] = {};
      return;
    }
    const pair = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line);
    if (!pair || !current) throw new UserError(`${file}:${index + 1}: not a systemd unit line: ${line}`);
    (current[pair[1] as string] ??= []).push(pair[2] as string);
  });
  const service = sections.Service;
  if (file.endsWith('.service')) {
    const exec = service?.ExecStart?.[0];
    if (!exec || !path.isAbsolute(exec.split(' ')[0] ?? '')) throw new UserError(`${file}: ExecStart must be an absolute command`);
  }
  if (file.endsWith('.timer') && !sections.Timer) throw new UserError(`${file}: no [Timer] section`);
  return sections;
}

export async function systemctl(args: string[]): Promise<void> {
  const result = await execa('systemctl', args, { reject: false });
  if (result.exitCode !== 0) {
    throw new ExternalCommandError(`systemctl ${args.join(' ')}`, result.exitCode, tail(String(result.stderr)), {
      actions: [`journalctl -u ${SERVICE_UNIT} -n 50`],
    });
  }
}

/**
 * No systemd as init (a container, WSL): the server runs detached from this process, logging to a file, with
 * its pid written beside it; the unit stays installed for when the host boots with systemd.
 */
export function startDetached(options: { cwd: string; envFile: string; dataDir: string }): { pid: number; log: string; pidFile: string } {
  mkdirSync(options.dataDir, { recursive: true });
  const log = path.join(options.dataDir, 'analytics.log');
  const pidFile = path.join(options.dataDir, 'analytics.pid');
  const fd = openSync(log, 'a', 0o600);
  try {
    const child = spawn(process.execPath, [binRunPath(), 'start', '--env-file', options.envFile], {
      cwd: options.cwd,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    if (child.pid === undefined) throw new UserError('Could not start the server process');
    child.unref();
    writeFileSync(pidFile, `${child.pid}\n`);
    return { pid: child.pid, log, pidFile };
  } finally {
    closeSync(fd);
  }
}
