import { mkdirSync, symlinkSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type Server as NetServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { startDockerd, type Dockerd } from '../helpers/dockerd.js';
import { mountTmpfs, type Tmpfs } from '../helpers/tmpfs.js';

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

const dir = tempDir();
const baseEnv = { DATA_DIR: path.join(dir, 'data'), BACKUP_DIR: path.join(dir, 'backups'), BASE_URL: 'http://localhost:8000' };
const doctor = async (args: string[], env: Record<string, string> = {}) => {
  const run = await runCli(['doctor', '--json', ...args], { cwd: dir, env: { ...baseEnv, ...env } });
  const report = run.json<Report>();
  return { exitCode: run.exitCode, report, check: (name: string) => report.checks.find((c) => c.name === name) };
};

function listen(server: NetServer | Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '0.0.0.0', () => resolve((server.address() as { port: number }).port)));
}

describe('analytics doctor', () => {
  it('runs every check with the JSON contract and the exit code of the worst status', async () => {
    const { exitCode, report } = await doctor([], { PORT: '0' });
    expect(report.checks.map((c) => c.name)).toEqual([
      'os', 'cpu', 'memory', 'disk', 'ports', 'docker', 'compose', 'dns', 'clock', 'data-dir', 'backup-dir',
    ]);
    expect(Object.keys(report).sort()).toEqual(['checkedAt', 'checks', 'durationMs', 'exitCode', 'status']);
    expect(exitCode).toBe(report.exitCode);
    expect(exitCode).toBe({ OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 }[report.status]);
    for (const c of report.checks) {
      expect(['OK', 'WARNING', 'CRITICAL', 'UNKNOWN']).toContain(c.status);
      if (c.status !== 'OK') expect(c.next, c.name).toBeTruthy();
    }
    for (const name of ['os', 'cpu', 'memory', 'data-dir', 'backup-dir']) expect(report.checks.find((c) => c.name === name)?.status).toBe('OK');
  });

  it('ports: all free OK; a busy extra port WARNING (exit 1); the server PORT busy CRITICAL (exit 2)', async () => {
    const busy = createServer();
    const busyPort = await listen(busy);
    const freeServer = createServer();
    const freePort = await listen(freeServer);
    await new Promise((r) => freeServer.close(r));
    try {
      const free = await doctor(['--check', 'ports', '--port', String(freePort)], { PORT: String(freePort) });
      expect([free.exitCode, free.check('ports')?.status]).toEqual([0, 'OK']);
      const extra = await doctor(['--check', 'ports', '--port', String(freePort), '--port', String(busyPort)], { PORT: String(freePort) });
      expect(extra.exitCode).toBe(1);
      expect(extra.check('ports')).toMatchObject({ status: 'WARNING', value: expect.stringContaining(`${busyPort} in use by node`) });
      const server = await doctor(['--check', 'ports', '--port', String(busyPort)], { PORT: String(busyPort) });
      expect(server.exitCode).toBe(2);
      expect(server.check('ports')).toMatchObject({ status: 'CRITICAL', next: expect.stringContaining('another PORT') });
    } finally {
      await new Promise((r) => busy.close(r));
    }
  });

  describe('clock against a local HTTP server with a skewed Date header', () => {
    let skewMs = 0;
    const server = createHttpServer((_req, res) => {
      res.setHeader('date', new Date(Date.now() + skewMs).toUTCString());
      res.end();
    });
    let url = '';
    beforeAll(async () => {
      url = `http://127.0.0.1:${await listen(server)}/`;
    });
    afterAll(() => new Promise((r) => server.close(r)));

    it.each([
      [0, 'OK', 0],
      [30_000, 'WARNING', 1],
      [-600_000, 'CRITICAL', 2],
    ] as const)('skew %d ms → %s', async (skew, status, exitCode) => {
      skewMs = skew;
      const run = await doctor(['--check', 'clock', '--time-url', url]);
      expect(run.exitCode).toBe(exitCode);
      expect(run.check('clock')?.status).toBe(status);
      expect(Math.abs((run.check('clock')?.details?.skewMs as number) - skew)).toBeLessThan(1_600);
    });

    it('an unreachable time source, or none at all, is UNKNOWN (exit 3), never a failure', async () => {
      const closed = await doctor(['--check', 'clock', '--time-url', 'http://127.0.0.1:1/']);
      expect(closed.exitCode).toBe(3);
      expect(closed.check('clock')?.value).toMatch(/^skipped: http:\/\/127\.0\.0\.1:1\/ unreachable/);
      // No systemd here: timedatectl cannot answer, and no --time-url was given.
      const none = await doctor(['--check', 'clock']);
      expect(none.check('clock')).toMatchObject({ status: 'UNKNOWN', next: expect.stringContaining('--time-url') });
    });
  });

  it('DNS of BASE_URL: this host OK, another address WARNING, no such name CRITICAL', async () => {
    expect((await doctor(['--check', 'dns'])).check('dns')?.status).toBe('OK');
    const elsewhere = await doctor(['--check', 'dns'], { BASE_URL: 'https://192.0.2.10' });
    expect([elsewhere.exitCode, elsewhere.check('dns')?.status]).toEqual([1, 'WARNING']);
    const nowhere = await doctor(['--check', 'dns'], { BASE_URL: 'https://stats.nowhere.invalid' });
    expect(nowhere.exitCode).toBe(2);
    expect(nowhere.check('dns')).toMatchObject({ status: 'CRITICAL', next: expect.stringContaining('A/AAAA record') });
  });

  describe('on real small filesystems', () => {
    let readOnly: Tmpfs;
    let small: Tmpfs;
    beforeAll(async () => {
      readOnly = await mountTmpfs(4, { readOnly: true });
      small = await mountTmpfs(8);
    });
    afterAll(async () => {
      await readOnly?.unmount();
      await small?.unmount();
    });

    it('DATA_DIR and BACKUP_DIR on a read-only mount are CRITICAL', async () => {
      const run = await doctor(['--check', 'data-dir', '--check', 'backup-dir'], {
        DATA_DIR: path.join(readOnly.dir, 'data'),
        BACKUP_DIR: path.join(dir, 'backups'),
      });
      expect(run.exitCode).toBe(2);
      expect(run.check('data-dir')).toMatchObject({ status: 'CRITICAL', details: { code: 'EROFS' }, next: expect.stringContaining('read-write') });
      expect(run.check('backup-dir')?.status).toBe('OK');
    });

    it('disk: 50 % free OK, 15 % WARNING, 5 % CRITICAL', async () => {
      const env = { DATA_DIR: path.join(small.dir, 'data'), BACKUP_DIR: path.join(small.dir, 'backups') };
      for (const [free, status, code] of [[0.5, 'OK', 0], [0.15, 'WARNING', 1], [0.05, 'CRITICAL', 2]] as const) {
        await small.fillTo(free);
        const run = await doctor(['--check', 'disk'], env);
        expect([run.exitCode, run.check('disk')?.status]).toEqual([code, status]);
      }
    });
  });

  describe('Docker and Compose', () => {
    let dockerd: Dockerd;
    beforeAll(async () => {
      dockerd = await startDockerd();
    }, 60_000);
    afterAll(async () => {
      await dockerd?.stop();
    });

    it('a running engine is OK; an engine that does not answer WARNING; no docker at all WARNING with how to install', async () => {
      const up = await doctor(['--check', 'docker', '--check', 'compose'], { DOCKER_HOST: dockerd.host });
      expect(up.check('docker')).toMatchObject({ status: 'OK', value: expect.stringMatching(/^engine 20\.10\.\d+/) });
      expect(up.check('compose')?.status).toBe('OK');
      expect(up.check('compose')?.details).toMatchObject({ variant: expect.stringMatching(/^v[12]$/) });

      const down = await doctor(['--check', 'docker'], { DOCKER_HOST: `unix://${path.join(dir, 'no-such.sock')}` });
      expect(down.exitCode).toBe(1);
      expect(down.check('docker')).toMatchObject({ status: 'WARNING', next: expect.stringContaining('systemctl start docker') });

      const bin = path.join(tempDir(), 'bin');
      mkdirSync(bin);
      symlinkSync(process.execPath, path.join(bin, 'node'));
      const absent = await doctor(['--check', 'docker', '--check', 'compose'], { PATH: bin });
      expect(absent.exitCode).toBe(1);
      expect(absent.check('docker')).toMatchObject({ status: 'WARNING', value: 'not installed', next: expect.stringContaining('install Docker') });
      expect(absent.check('compose')).toMatchObject({ status: 'WARNING', value: 'not installed' });
    }, 60_000);
  });
});
