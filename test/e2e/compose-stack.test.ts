import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComposePsResult } from '../../src/lib/compose/operations.js';
import type { SetupResult } from '../../src/lib/setup/types.js';
import type { UpgradeResult } from '../../src/lib/upgrade/upgrade.js';
import { projectRoot, runCli, type CliRun } from '../helpers/cli.js';
import { DOCKER_CLI, debianRootfsTarball, dockerdAvailable, startDockerEngine, type DockerEngine } from '../helpers/docker-engine.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

/*
 * The Docker Compose stack end to end, on a private dockerd (ENVIRONMENT.md: no registry, no bridge network).
 * Deviations from production, each forced by this machine:
 *  - images are built here from a cached debootstrap rootfs (test/e2e/fixtures/*.Dockerfile), the app is
 *    bind-mounted into the analytics image instead of copied;
 *  - the stack is rendered with `--network host` (no bridge network here); the override written below moves
 *    PostgreSQL and the server to free loopback ports;
 *  - no ClickHouse server image exists and Debian's clickhouse-server (18.16) is too old, so the stack is rendered
 *    with `--clickhouse embedded`: chDB (ClickHouse 26 in-process) inside the analytics container's data volume —
 *    the same ClickHouse SQL, a supported production variant of the template, and the volume the test checks survives.
 */

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

interface Rows {
  mode: string;
  events: number;
  e2eEvents: number;
  users: string[];
  sites: string[];
}

const READ_BACK = 'through the Stats API and directly from chDB';
/** Said in the test name when this machine has no dockerd, so a skip is never read as a pass. */
const SKIPPED = dockerdAvailable() ? '' : ' (skipped: no dockerd here — install docker.io, as .ci/run does)';

const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

describe.skipIf(!dockerdAvailable())(`compose stack on a real Docker engine (ClickHouse = embedded chDB in the analytics volume: no ClickHouse server image here)${SKIPPED}`, () => {
  let engine: DockerEngine;
  let stack: TempDir;
  let context: TempDir;
  let appPort: number;
  let pgPort: number;
  let setupResult: SetupResult;
  let setupRun: CliRun;
  const backupAvailable = { value: false };

  const cli = (args: string[], timeoutMs = 600_000) =>
    runCli(args, { cwd: stack.path, env: { ...engine.env, ANALYTICS_COMPOSE: process.env.ANALYTICS_COMPOSE ?? '' }, timeoutMs });
  const compose = (args: string[]) =>
    execa('docker-compose', ['-p', 'analytics', ...args], { cwd: stack.path, env: { ...engine.env }, reject: false });

  let apiKey = '';

  /** pageviews today for example.com through GET /api/v1/stats/aggregate, waiting for the flusher (5 s interval). */
  async function statsPageviews(expected: number): Promise<number> {
    if (!apiKey) {
      const created = await compose(['exec', '-T', 'analytics', 'node', '/app/bin/run.js', 'api-keys', 'create', '--name', 'e2e', '--json']);
      expect(created.exitCode, String(created.stderr)).toBe(0);
      apiKey = (JSON.parse(String(created.stdout)) as { key: string }).key;
    }
    let value = -1;
    for (let i = 0; i < 30 && value !== expected; i++) {
      if (i) await new Promise((r) => setTimeout(r, 1000));
      const response = await fetch(`http://127.0.0.1:${appPort}/api/v1/stats/aggregate?site_id=example.com&period=day&metrics=pageviews`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      expect(response.status).toBe(200);
      value = ((await response.json()) as { results: { pageviews: { value: number } } }).results.pageviews.value;
    }
    return value;
  }

  /** Reads both stores directly with the server stopped (chDB allows one process per data directory). */
  async function readRows(): Promise<Rows> {
    await compose(['stop', 'analytics']);
    const run = await compose(['run', '--rm', '-T', '--no-deps', '--entrypoint', 'node', 'analytics', '/app/test/e2e/fixtures/count-rows.mjs']);
    expect(run.exitCode, String(run.stderr)).toBe(0);
    const line = String(run.stdout).trim().split('\n').pop() ?? '';
    return JSON.parse(line) as Rows;
  }

  beforeAll(async () => {
    engine = await startDockerEngine();
    stack = await makeTempDir('e2e-stack-');
    context = await makeTempDir('e2e-image-');
    [appPort, pgPort] = [await freePort(), await freePort()];

    const tarball = await debianRootfsTarball();
    await execa('sh', ['-c', `${DOCKER_CLI} import - analytics-e2e-base:bookworm < "${tarball}"`], { env: engine.env });
    const fixtures = path.join(projectRoot, 'test/e2e/fixtures');
    for (const file of ['postgres.Dockerfile', 'postgres-entrypoint.sh', 'analytics.Dockerfile']) copyFileSync(path.join(fixtures, file), path.join(context.path, file));
    copyFileSync(process.execPath, path.join(context.path, 'node'));
    await execa(DOCKER_CLI, ['build', '-q', '-t', 'analytics-e2e-postgres:test', '-f', 'postgres.Dockerfile', '.'], { cwd: context.path, env: engine.env });

    mkdirSync(stack.path, { recursive: true });
    writeFileSync(
      path.join(stack.path, 'docker-compose.override.yml'),
      `# e2e: locally built images, free loopback ports, the app bind-mounted (see the test's header).
services:
  analytics:
    image: analytics-e2e:test
    build:
      context: ${context.path}
      dockerfile: analytics.Dockerfile
    environment:
      DATABASE_URL: postgres://analytics:\${POSTGRES_PASSWORD}@127.0.0.1:${pgPort}/analytics
    volumes:
      - ${projectRoot}:/app:ro
    healthcheck:
      interval: 2s
      start_period: 5s
  postgres:
    image: analytics-e2e-postgres:test
    environment:
      PGPORT: "${pgPort}"
    healthcheck:
      test: ["CMD", "pg_isready", "-h", "127.0.0.1", "-p", "${pgPort}", "-U", "analytics", "-d", "analytics"]
      interval: 2s
`,
    );
    backupAvailable.value = (await runCli(['backup', 'create', '--help'])).exitCode === 0;

    setupRun = await cli([
      'setup', '--yes', '--json', '--skip-doctor', '--no-pull', '--clickhouse', 'embedded', '--network', 'host',
      '--base-url', `http://127.0.0.1:${appPort}`, '--port', String(appPort),
      '--admin-email', 'admin@example.com', '--site', 'example.com', '--timeout', '240',
    ]);
  }, 1_500_000);

  afterAll(async () => {
    if (engine) {
      if (stack) await compose(['--profile', 'caddy', 'down', '--volumes', '--remove-orphans']);
      await engine.stop();
    }
    await stack?.remove();
    await context?.remove();
  }, 120_000);

  it('setup --yes builds the image, starts the stack, migrates, creates the admin and the site, and reports them', () => {
    expect(setupRun.exitCode, setupRun.stderr + setupRun.stdout).toBe(0);
    setupResult = setupRun.json<SetupResult>();
    expect(Object.fromEntries(setupResult.steps.map((s) => [s.name, s.status]))).toEqual({
      doctor: 'skipped',
      env: 'done',
      files: 'done',
      images: 'done',
      'databases up': 'done',
      migrate: 'done',
      admin: 'done',
      'compose up': 'done',
      health: 'done',
      site: 'done',
    });
    expect(setupResult.admin?.generatedPassword).toMatch(/^\S{16,}$/);
    expect(setupResult.site?.snippet).toBe(`<script defer data-domain="example.com" src="http://127.0.0.1:${appPort}/js/script.js"></script>`);
  });

  it('compose ps (dockerode) shows both services running and healthy', async () => {
    const run = await cli(['compose', 'ps', '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const ps = run.json<ComposePsResult>();
    expect(ps.services.map((s) => [s.service, s.state, s.health])).toEqual([
      ['analytics', 'running', 'healthy'],
      ['postgres', 'running', 'healthy'],
    ]);
  });

  it('running setup again changes nothing and prints no password', async () => {
    const run = await cli(['setup', '--yes', '--json', '--skip-doctor', '--no-pull', '--no-build', '--clickhouse', 'embedded', '--network', 'host', '--site', 'example.com', '--timeout', '120']);
    expect(run.exitCode, run.stderr).toBe(0);
    const again = run.json<SetupResult>();
    expect(Object.fromEntries(again.steps.map((s) => [s.name, s.status]))).toMatchObject({
      env: 'existing', files: 'existing', migrate: 'skipped', admin: 'existing', site: 'existing',
    });
    expect(again.admin).toEqual({ email: 'admin@example.com', status: 'existing' });
  }, 300_000);

  it(`an event sent to the stack is read back ${READ_BACK}`, async () => {
    const response = await fetch(`http://127.0.0.1:${appPort}/api/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': BROWSER_UA, 'x-forwarded-for': '203.0.113.9' },
      body: JSON.stringify({ n: 'pageview', u: 'http://example.com/e2e', d: 'example.com', r: null }),
    });
    expect(response.status).toBe(202);
    expect(await statsPageviews(1)).toBe(1);
    const rows = await readRows();
    expect(rows).toMatchObject({ mode: 'mixed', events: 1, e2eEvents: 1, users: ['admin@example.com'], sites: ['example.com'] });
  }, 120_000);

  it(`upgrade: ${'backup (when this version has backup create) → build → migrate → restart → health'}`, async () => {
    const run = await cli(['upgrade', '--no-pull', '--json', '--timeout', '240', ...(backupAvailable.value ? [] : ['--skip-backup'])]);
    expect(run.exitCode, run.stderr + run.stdout).toBe(0);
    const result = run.json<UpgradeResult>();
    expect(result.steps.map((s) => [s.name, s.status])).toEqual([
      ['backup', backupAvailable.value ? 'done' : 'skipped'],
      ['images', 'done'],
      ['migrate', 'done'],
      ['restart', 'done'],
      ['health', 'done'],
    ]);
    expect((await fetch(`http://127.0.0.1:${appPort}/api/health`)).status).toBe(200);
  }, 600_000);

  it('compose logs prints the server’s log lines', async () => {
    const run = await cli(['compose', 'logs', 'analytics', '--tail', '20']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('server listening');
  });

  it('compose restart waits for health again', async () => {
    const run = await cli(['compose', 'restart', 'analytics', '--json', '--timeout', '120']);
    expect(run.exitCode, run.stderr).toBe(0);
    const result = run.json<{ restarted: string[]; services: { service: string; health: string }[] }>();
    expect(result.restarted).toEqual(['analytics']);
    expect(result.services.map((s) => [s.service, s.health])).toEqual([['analytics', 'healthy']]);
  }, 180_000);

  it(`compose down keeps the volumes; compose up brings the same data back (read ${READ_BACK})`, async () => {
    const down = await cli(['compose', 'down', '--json']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.json<{ remaining: unknown[] }>().remaining).toEqual([]);
    const up = await cli(['compose', 'up', '--json', '--timeout', '240']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect((await fetch(`http://127.0.0.1:${appPort}/api/health`)).status).toBe(200);
    expect(await statsPageviews(1)).toBe(1);
    const rows = await readRows();
    expect(rows).toMatchObject({ events: 1, e2eEvents: 1, users: ['admin@example.com'], sites: ['example.com'] });
  }, 600_000);

  it('compose purge refuses without --force and without a terminal, and removes nothing', async () => {
    const run = await cli(['compose', 'purge', '--json']);
    expect(run.exitCode).toBe(2);
    expect(run.json<{ error: { code: string } }>().error.code).toBe('CONFIRMATION_NEEDED');
    const volumes = await execa(DOCKER_CLI, ['volume', 'ls', '-q'], { env: engine.env });
    expect(String(volumes.stdout)).toContain('analytics_analytics-data');
  });
});
