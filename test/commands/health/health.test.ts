import { copyFileSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, MIGRATIONS_ROOT } from '../../../src/lib/migrate/files.js';
import { postgresLedger } from '../../../src/lib/migrate/postgres-ledger.js';
import { migrateUp } from '../../../src/lib/migrate/runner.js';
import { binRun, runCli, tempDir } from '../../helpers/cli.js';
import { withDataDir } from '../../helpers/fixtures.js';
import { spawnServer, type ServerProcess } from '../../helpers/server.js';
import { mountTmpfs, type Tmpfs } from '../../helpers/tmpfs.js';

interface Check {
  name: string;
  title: string;
  status: string;
  value: string;
  message?: string;
  next?: string;
  durationMs: number;
  details?: Record<string, unknown>;
}
interface Report {
  status: string;
  exitCode: number;
  checkedAt: string;
  durationMs: number;
  checks: Check[];
}

const ALL = ['server', 'postgres', 'clickhouse', 'migrations', 'spool', 'disk', 'system-logs', 'backup', 'salt', 'mail', 'probe'];
const HOUR = 3_600_000;

describe('analytics health against an embedded server started with analytics start', () => {
  const dir = tempDir();
  let volume: Tmpfs;
  let dataDir = '';
  let backups = '';
  let archive = '';
  let env: Record<string, string> = {};
  const health = (...args: string[]) => runCli(['health', ...args], { cwd: dir, env });
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    // Its own volume, so the disk check does not depend on how full the shared machine is.
    volume = await mountTmpfs(1024);
    dataDir = path.join(volume.dir, 'data');
    backups = path.join(volume.dir, 'backups');
    archive = path.join(backups, 'analytics-health-test.tar.zst');
    env = { DATA_DIR: dataDir, BACKUP_DIR: backups };
    mkdirSync(backups);
    writeFileSync(archive, 'archive');
    server = await spawnServer(env);
  }, 120_000);
  afterAll(async () => {
    await server?.stop('SIGKILL');
    await volume?.unmount();
  });

  it('--json reports every check OK, the end-to-end probe included, in under 2 seconds', async () => {
    const timings: number[] = [];
    let report: Report | undefined;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const run = await health('--json');
      timings.push(Math.round(performance.now() - started));
      expect(run.exitCode, run.stdout + run.stderr).toBe(0);
      report = run.json<Report>();
    }
    console.log(`analytics health --json, wall time of the whole command (3 runs): ${timings.join(' ms, ')} ms`);
    // Best of three: the machine is shared, and a scheduler stall is not the command being slow.
    expect(Math.min(...timings)).toBeLessThan(2_000);
    expect(report!.durationMs).toBeLessThan(2_000);

    // The JSON contract.
    expect(Object.keys(report!).sort()).toEqual(['checkedAt', 'checks', 'durationMs', 'exitCode', 'status']);
    expect(report).toMatchObject({ status: 'OK', exitCode: 0 });
    expect(Number.isNaN(Date.parse(report!.checkedAt))).toBe(false);
    expect(report!.checks.map((c) => c.name)).toEqual(ALL);
    for (const check of report!.checks) {
      expect(check.status, `${check.name}: ${check.message}`).toBe('OK');
      expect(typeof check.title).toBe('string');
      expect(check.value.length).toBeGreaterThan(0);
      expect(typeof check.durationMs).toBe('number');
      expect(check.next).toBeUndefined();
    }
    expect(report!.checks.find((c) => c.name === 'probe')?.details).toMatchObject({ ok: true, readBack: 1 });
    expect(report!.checks.find((c) => c.name === 'server')?.details).toMatchObject({ httpStatus: 200, url: server!.url });
  });

  it('prints a table, runs only the checks named by --check, and --watch refreshes until Ctrl-C', async () => {
    const table = await health('--check', 'disk', '--check', 'backup');
    expect(table.exitCode, table.stderr).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^CHECK\s+STATUS\s+VALUE$/);
    expect(lines.slice(1, 3).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['disk', 'OK'],
      ['backup', 'OK'],
    ]);
    expect(table.stdout).toMatch(/OK \(exit 0\) · 2 check\(s\)/);

    const watch = execa('node', [binRun, 'health', '--watch', '--interval', '1', '--check', 'disk'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...env },
      extendEnv: false,
      reject: false,
    });
    let out = '';
    watch.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    for (let i = 0; i < 100 && (out.match(/check\(s\) in/g) ?? []).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    watch.kill('SIGINT');
    const ended = await watch;
    expect((out.match(/check\(s\) in/g) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(ended.exitCode).toBe(0);
  });

  it('a server found on PORT but not on this DATA_DIR\'s socket: server OK, probe UNKNOWN (run it where the server runs)', async () => {
    const elsewhere = tempDir();
    const run = await runCli(['health', '--json', '--check', 'server', '--check', 'probe'], {
      cwd: elsewhere,
      env: { DATA_DIR: path.join(elsewhere, 'data'), PORT: new URL(server!.url).port },
    });
    expect(run.exitCode, run.stdout).toBe(3);
    const [serverCheck, probe] = run.json<Report>().checks;
    expect(serverCheck?.status).toBe('OK');
    expect(probe).toMatchObject({ status: 'UNKNOWN', next: expect.stringContaining('where the server runs') });
  });

  it('an old backup is WARNING after 26 h (exit 1) and CRITICAL after a week (exit 2), with the next command', async () => {
    const age = (ms: number) => utimesSync(archive, new Date(Date.now() - ms), new Date(Date.now() - ms));
    try {
      age(30 * HOUR);
      const warning = await health('--check', 'backup', '--json');
      expect(warning.exitCode).toBe(1);
      expect(warning.json<Report>().checks[0]).toMatchObject({ status: 'WARNING', next: expect.stringContaining('analytics backup create') });
      age(8 * 24 * HOUR);
      const critical = await health('--check', 'backup', '--json');
      expect(critical.exitCode).toBe(2);
      expect(critical.json<Report>()).toMatchObject({ status: 'CRITICAL', checks: [{ name: 'backup', status: 'CRITICAL' }] });

      // A real archive from analytics backup create (through the running server) is the newest again.
      const created = await runCli(['backup', 'create', '--json'], { cwd: dir, env });
      expect(created.exitCode, created.stderr).toBe(0);
      const fresh = await health('--check', 'backup', '--json');
      expect(fresh.exitCode, fresh.stdout).toBe(0);
      expect(fresh.json<Report>().checks[0]?.details).toMatchObject({
        count: 2,
        newest: expect.stringMatching(/analytics-\d{8}T\d{6}Z\.tar\.(zst|gz)$/),
      });
    } finally {
      age(0);
    }
  });

  it('usage problems are UNKNOWN (exit 3) for a monitoring agent', async () => {
    const unknown = await health('--check', 'nope', '--json');
    expect(unknown.exitCode).toBe(3);
    expect(unknown.json<{ error: { exitCode: number; kind: string } }>().error).toMatchObject({ exitCode: 3, kind: 'usage' });
    const badConfig = await runCli(['health', '--json'], { cwd: dir, env: { ...env, PORT: 'eighty' } });
    expect(badConfig.exitCode).toBe(3);
    expect(badConfig.json<{ error: { code: string; exitCode: number } }>().error).toMatchObject({ code: 'INVALID_CONFIG', exitCode: 3 });
    const watchJson = await health('--watch', '--json');
    expect(watchJson.exitCode).toBe(3);
    expect(watchJson.json<{ error: { message: string } }>().error.message).toContain('--watch');
  });

  it('a stopped server: server and probe CRITICAL (exit 2); the store checks open the data directly', async () => {
    expect(await server!.stop('SIGTERM')).toBe(0);
    const run = await health('--json');
    expect(run.exitCode, run.stderr).toBe(2);
    const byName = Object.fromEntries(run.json<Report>().checks.map((c) => [c.name, c]));
    expect(byName.server).toMatchObject({ status: 'CRITICAL', next: expect.stringContaining('analytics start') });
    expect(byName.probe).toMatchObject({ status: 'CRITICAL', next: expect.stringContaining('analytics start') });
    for (const name of ['postgres', 'clickhouse', 'migrations', 'salt', 'spool', 'disk', 'backup', 'system-logs']) {
      expect(byName[name]?.status, `${name}: ${byName[name]?.message}`).toBe('OK');
    }
  });

  it('a pending migration is WARNING (db migrate), a database newer than the code CRITICAL', async () => {
    const rollback = await runCli(['db', 'rollback', '--steps', '1', '--store', 'clickhouse', '--force'], { cwd: dir, env });
    expect(rollback.exitCode, rollback.stderr).toBe(0);
    const pending = await health('--check', 'migrations', '--json');
    expect(pending.exitCode).toBe(1);
    expect(pending.json<Report>().checks[0]).toMatchObject({
      status: 'WARNING',
      next: 'analytics db migrate',
      details: { pending: ['clickhouse/0002_sessions'] },
    });
    expect((await runCli(['db', 'migrate'], { cwd: dir, env })).exitCode).toBe(0);
    expect((await health('--check', 'migrations')).exitCode).toBe(0);

    // A newer analytics applied postgres 0099: this code does not know it.
    const future = path.join(tempDir(), 'postgres');
    mkdirSync(future);
    for (const file of readdirSync(path.join(MIGRATIONS_ROOT, 'postgres'))) copyFileSync(path.join(MIGRATIONS_ROOT, 'postgres', file), path.join(future, file));
    writeFileSync(path.join(future, '0099_future.up.sql'), 'CREATE TABLE future_feature (id int);\n');
    writeFileSync(path.join(future, '0099_future.down.sql'), 'DROP TABLE future_feature;\n');
    await withDataDir(dataDir, (stores) => migrateUp(postgresLedger(stores.postgres), loadMigrations(future)));
    const newer = await health('--check', 'migrations', '--json');
    expect(newer.exitCode).toBe(2);
    expect(newer.json<Report>().checks[0]).toMatchObject({ status: 'CRITICAL', details: { unknown: ['postgres/0099_future'] } });
  });
});
