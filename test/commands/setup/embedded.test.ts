import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SetupResult } from '../../../src/lib/setup/types.js';
import type { UpgradeResult } from '../../../src/lib/upgrade/upgrade.js';
import { parseUnit } from '../../../src/lib/setup/systemd.js';
import { runCli } from '../../helpers/cli.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** doctor lands from another branch; setup runs it when the installation has it. */
const HAS_DOCTOR = existsSync(path.resolve('src/commands/doctor.ts'));
const HAS_SYSTEMD_ANALYZE = spawnSync('sh', ['-c', 'command -v systemd-analyze']).status === 0;

describe(`setup --embedded --yes (no Docker; preflight: ${HAS_DOCTOR ? 'analytics doctor' : 'NONE, doctor is not in this tree yet'})`, () => {
  let dir: TempDir;
  let port: number;
  let first: SetupResult;
  let pid: number | undefined;

  const setup = () =>
    runCli(
      ['setup', '--embedded', '--yes', '--json', '--base-url', `http://localhost:${port}`, '--port', String(port),
        '--admin-email', 'admin@example.com', '--site', 'example.com', '--unit-dir', path.join(dir.path, 'units')],
      { cwd: dir.path, timeoutMs: 180_000 },
    );

  beforeAll(async () => {
    dir = await makeTempDir('analytics-setup-embedded-');
    port = await freePort();
    const run = await setup();
    expect(run.exitCode, run.stderr + run.stdout).toBe(0);
    first = run.json<SetupResult>();
    pid = first.service?.pid;
  }, 200_000);

  afterAll(async () => {
    if (pid) {
      try {
        process.kill(pid, 'SIGTERM');
        for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
      } catch {
        // already gone
      }
    }
    await dir.remove();
  });

  it('leaves a server that answers /api/health with both stores ok', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/api/health`);
    expect(response.status).toBe(200);
    const health = (await response.json()) as { status: string; postgres: { status: string }; clickhouse: { status: string } };
    expect(health).toMatchObject({ status: 'ok', postgres: { status: 'ok' }, clickhouse: { status: 'ok' } });
  });

  it('returns the documented result: URL, admin password once, snippet, and how the server was started', () => {
    expect(first.mode).toBe('embedded');
    expect(first.url).toBe(`http://localhost:${port}`);
    expect(first.admin).toMatchObject({ email: 'admin@example.com', status: 'created' });
    expect(first.admin?.generatedPassword).toMatch(/^\S{16,}$/);
    expect(first.site).toEqual({
      domain: 'example.com',
      status: 'created',
      snippet: `<script defer data-domain="example.com" src="http://localhost:${port}/js/script.js"></script>`,
    });
    expect(first.steps[0]).toMatchObject({ name: 'doctor', status: HAS_DOCTOR ? 'done' : 'skipped' });
    expect(first.steps.map((s) => s.name)).toEqual(['doctor', 'env', 'databases', 'admin', 'units', 'start', 'health', 'site']);
    // This machine does not boot with systemd: the unit is installed and the server runs detached, and the result says so.
    const systemdInit = existsSync('/run/systemd/system');
    expect(first.service?.manager).toBe(systemdInit ? 'systemd' : 'detached');
    if (!systemdInit) {
      expect(first.service?.note).toContain('systemd is not the init system');
      expect(isAlive(first.service?.pid ?? -1)).toBe(true);
    }
    expect(statSync(first.envFile).mode & 0o777).toBe(0o600);
  });

  it(`installs a valid unit running \`analytics start\`, and a backup timer (${HAS_SYSTEMD_ANALYZE ? 'systemd-analyze verify' : 'parser only: systemd-analyze not installed'})`, () => {
    const unitDir = path.join(dir.path, 'units');
    const files = ['analytics.service', 'analytics-backup.service', 'analytics-backup.timer'].map((f) => path.join(unitDir, f));
    for (const file of files) expect(existsSync(file), file).toBe(true);
    if (HAS_SYSTEMD_ANALYZE) {
      const verify = spawnSync('systemd-analyze', ['verify', ...files], { encoding: 'utf8' });
      expect(verify.status, verify.stderr).toBe(0);
      expect(verify.stderr).toBe('');
      expect(first.steps.find((s) => s.name === 'units')?.detail).toBe('verified by systemd-analyze');
    }
    const unit = parseUnit(files[0] as string);
    expect(unit.Service?.ExecStart?.[0]).toBe(`${process.execPath} --v8-pool-size=1 ${path.resolve('bin/run.js')} start --env-file ${path.join(dir.path, '.env')}`);
    expect(unit.Service?.WorkingDirectory?.[0]).toBe(dir.path);
    expect(unit.Install?.WantedBy).toEqual(['multi-user.target']);
    expect(parseUnit(files[2] as string).Timer?.OnCalendar).toEqual(['*-*-* 03:17:00']);
    expect(readFileSync(files[1] as string, 'utf8')).toMatch(/ExecStart=\S+ \S+ backup create --env-file/);
  });

  it('running it again changes nothing and shows no password', async () => {
    const envBefore = readFileSync(path.join(dir.path, '.env'), 'utf8');
    const run = await setup();
    expect(run.exitCode, run.stderr).toBe(0);
    const again = run.json<SetupResult>();
    expect(Object.fromEntries(again.steps.map((s) => [s.name, s.status]))).toEqual({
      doctor: HAS_DOCTOR ? 'done' : 'skipped',
      env: 'existing',
      databases: 'skipped',
      admin: 'existing',
      units: 'existing',
      start: 'existing',
      health: 'done',
      site: 'existing',
    });
    expect(again.admin).toEqual({ email: 'admin@example.com', status: 'existing' });
    expect(new Set(again.files.map((f) => f.action))).toEqual(new Set(['unchanged']));
    expect(readFileSync(path.join(dir.path, '.env'), 'utf8')).toBe(envBefore);
    expect(again.service?.manager).toBe('already-running');
  }, 120_000);

  it('--dry-run writes and starts nothing: on the installed host every file is unchanged; without .env it refuses', async () => {
    const run = await runCli(['setup', '--embedded', '--dry-run', '--json', '--skip-doctor', '--unit-dir', path.join(dir.path, 'units')], { cwd: dir.path });
    expect(run.exitCode, run.stderr).toBe(0);
    const result = run.json<SetupResult>();
    expect(result.steps.map((s) => s.name)).toEqual(['doctor', 'env', 'units']);
    expect(new Set(result.files.map((f) => f.action))).toEqual(new Set(['unchanged']));
    const empty = await makeTempDir('analytics-setup-dry-');
    try {
      const refused = await runCli(['setup', '--embedded', '--dry-run', '--json', '--skip-doctor', '--unit-dir', path.join(empty.path, 'units')], { cwd: empty.path });
      expect(refused.exitCode).toBe(2);
      expect(refused.json<{ error: { code: string } }>().error.code).toBe('DRY_RUN_NEEDS_ENV');
      expect(existsSync(path.join(empty.path, '.env'))).toBe(false);
      expect(existsSync(path.join(empty.path, 'units'))).toBe(false);
    } finally {
      await empty.remove();
    }
  });

  it('upgrade --embedded restarts the server (which migrates on start) and waits for health; data stays', async () => {
    const backup = (await runCli(['backup', 'create', '--help'])).exitCode === 0;
    const run = await runCli(['upgrade', '--embedded', '--json', '--timeout', '120', ...(backup ? [] : ['--skip-backup'])], { cwd: dir.path, timeoutMs: 180_000 });
    expect(run.exitCode, run.stderr + run.stdout).toBe(0);
    const result = run.json<UpgradeResult>();
    expect(result.steps.map((s) => [s.name, s.status])).toEqual([
      ['backup', backup ? 'done' : 'skipped'],
      ['images', 'skipped'],
      ['migrate', 'skipped'],
      ['restart', 'done'],
      ['health', 'done'],
    ]);
    const newPid = Number(readFileSync(path.join(dir.path, 'data/analytics.pid'), 'utf8'));
    expect(newPid).not.toBe(pid);
    expect(pid === undefined || !isAlive(pid)).toBe(true);
    pid = newPid;
    const sites = await runCli(['sites', 'list', '--json'], { cwd: dir.path });
    expect(sites.json<{ sites: { domain: string }[] }>().sites.map((s) => s.domain)).toEqual(['example.com']);
  }, 200_000);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
