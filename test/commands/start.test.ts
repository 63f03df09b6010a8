import { statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { spawnServer, type ServerProcess } from '../helpers/server.js';

describe('analytics start on a fresh data directory (the quick start)', () => {
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop('SIGKILL');
  });

  it('creates and migrates the embedded stores, serves the tracker and health, and takes admin commands over its socket', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'data');
    server = await spawnServer({ DATA_DIR: dataDir });
    expect(statSync(path.join(dataDir, 'admin.sock')).mode & 0o777).toBe(0o600);

    const added = await runCli(['sites', 'add', 'quick.example', '--json'], { cwd: dir, env: { DATA_DIR: dataDir } });
    expect(added.exitCode, added.stderr).toBe(0);
    expect(added.json()).toMatchObject({ site: { domain: 'quick.example' } });
    const duplicate = await runCli(['sites', 'add', 'quick.example'], { cwd: dir, env: { DATA_DIR: dataDir } });
    expect(duplicate.exitCode).toBe(1);
    expect(duplicate.stderr).toContain('already exists');

    const script = await fetch(`${server.url}/js/script.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toContain('max-age=86400');
    const etag = script.headers.get('etag');
    expect(etag).toBeTruthy();
    expect(script.headers.get('content-encoding')).toBe('gzip');
    // fetch() has already decoded it; the budget is for the gzipped script.
    const body = Buffer.from(await script.arrayBuffer());
    expect(body.toString()).toContain('/api/event');
    expect(gzipSync(body, { level: 9 }).length).toBeLessThanOrEqual(1536);
    const cached = await fetch(`${server.url}/js/script.js`, { headers: { 'if-none-match': etag ?? '' } });
    expect(cached.status).toBe(304);
    const outbound = await fetch(`${server.url}/js/script.outbound-links.file-downloads.js`);
    expect(outbound.status).toBe(200);

    const event = await fetch(`${server.url}/api/event`, {
      method: 'POST',
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' },
      body: JSON.stringify({ n: 'pageview', u: 'https://quick.example/', d: 'quick.example' }),
    });
    expect(event.status).toBe(202);

    for (const route of ['/api/health', '/api/health/ready', '/api/health/live']) {
      const res = await fetch(`${server.url}${route}`);
      expect(res.status, route).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok' });
    }
    const health = (await (await fetch(`${server.url}/api/health`)).json()) as Record<string, { status: string }>;
    expect([health.postgres?.status, health.clickhouse?.status, health.ingest?.status]).toEqual(['ok', 'ok', 'ok']);
    const system = (await (await fetch(`${server.url}/api/system`)).json()) as Record<string, unknown>;
    expect(system).toMatchObject({ storageMode: 'embedded', geoip: { database: 'bundled' } });
    expect(system.version).toMatch(/^\d+\.\d+\.\d+/);

    // db seed and db init-admin go through the server's socket too.
    const seeded = await runCli(['db', 'seed', '--domain', 'seeded.example', '--events', '2000', '--json'], { cwd: dir, env: { DATA_DIR: dataDir } });
    expect(seeded.exitCode, seeded.stderr).toBe(0);
    expect(seeded.json<{ site: { domain: string }; events: number }>()).toMatchObject({ site: { domain: 'seeded.example' } });
    const admin = await runCli(['db', 'init-admin', '--email', 'root@quick.example', '--json'], { cwd: dir, env: { DATA_DIR: dataDir } });
    expect(admin.exitCode, admin.stderr).toBe(0);
    expect(admin.json()).toMatchObject({ user: { email: 'root@quick.example', isAdmin: true }, generatedPassword: expect.any(String) });

    // db commands that need the stores themselves refuse clearly while the server owns DATA_DIR.
    const locked = await runCli(['db', 'status', '--json'], { cwd: dir, env: { DATA_DIR: dataDir } });
    expect(locked.exitCode).toBe(1);
    expect(locked.json()).toMatchObject({ error: { code: 'DATA_DIR_IN_USE' } });

    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.logs.some((l) => l.includes('"msg":"server stopped"'))).toBe(true);
    // With the server gone, the same command opens the stores directly.
    const listed = await runCli(['sites', 'list', '--json'], { cwd: dir, env: { DATA_DIR: dataDir } });
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect(listed.json<{ sites: { domain: string }[] }>().sites.map((s) => s.domain)).toEqual(['quick.example', 'seeded.example']);
  });
});
