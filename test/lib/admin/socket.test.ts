import { existsSync, lstatSync, statSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSocketPath } from '../../../src/lib/admin/protocol.js';
import { startAdminSocket, type AdminSocket } from '../../../src/lib/admin/socket-server.js';
import { migrateStores } from '../../../src/lib/db/migrations.js';
import { findSite } from '../../../src/lib/sites/sites.js';
import { openStores, type OpenedStores } from '../../../src/lib/storage/open.js';
import { runCli } from '../../helpers/cli.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

interface ErrorOutput {
  error: { code: string; kind: string; message: string; exitCode: number; actions: string[] };
}

/** Raw protocol access, to check what the CLI never sends. */
function post(socketPath: string, urlPath: string, body: string, method = 'POST'): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: urlPath, method, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A socket file with no process behind it, as a server killed with SIGKILL leaves it. */
async function leaveStaleSocket(socketPath: string): Promise<void> {
  await execa('node', [
    '-e',
    `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ], { reject: false });
  expect(lstatSync(socketPath).isSocket()).toBe(true);
}

describe('admin socket: CLI commands while the server owns DATA_DIR', () => {
  let temp: TempDir;
  let dataDir: string;
  let socketPath: string;
  let stores: OpenedStores | undefined;
  let socket: AdminSocket | undefined;
  const env = () => ({ DATA_DIR: dataDir });
  const hookCalls: string[] = [];

  beforeAll(async () => {
    temp = await makeTempDir('analytics-admin-socket-');
    dataDir = path.join(temp.path, 'data');
    socketPath = adminSocketPath(dataDir);
    // What `analytics start` does: take DATA_DIR (its lock), migrate, serve.
    stores = await openStores({ dataDir });
    await migrateStores(stores, { store: 'all' });
  });

  afterAll(async () => {
    await socket?.close();
    await stores?.close();
    await temp?.remove();
  });

  it('without the socket, the CLI cannot open the locked DATA_DIR', async () => {
    const run = await runCli(['sites', 'list', '--json'], { env: env() });
    expect(run.exitCode).toBe(1);
    expect(run.json<ErrorOutput>().error.code).toBe('DATA_DIR_IN_USE');
    expect(run.json<ErrorOutput>().error.message).toContain(`process ${process.pid}`);
  });

  it('creates the socket with mode 0600', async () => {
    const umask = process.umask();
    socket = await startAdminSocket(socketPath, stores as OpenedStores, {
      beforeOperation: (name) => void hookCalls.push(`before ${name}`),
      afterOperation: (done) => {
        if (done.name === 'sites.add') hookCalls.push(`after sites.add ${done.result.site.domain}`);
      },
    });
    expect(process.umask(), 'the umask is restored').toBe(umask);
    const stat = lstatSync(socketPath);
    expect(stat.isSocket()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o600);
  });

  it('runs CLI commands through the socket while the stores stay locked here', async () => {
    const added = await runCli(['sites', 'add', 'socket.example.com', '--json'], { env: env() });
    expect(added.exitCode, added.stderr).toBe(0);
    expect(added.json<{ site: { domain: string } }>().site.domain).toBe('socket.example.com');
    // Written by this process's stores: the CLI never opened the files.
    expect(await findSite((stores as OpenedStores).postgres, 'socket.example.com')).toMatchObject({ domain: 'socket.example.com' });

    const listed = await runCli(['sites', 'list', '--json'], { env: env() });
    expect(listed.json<{ sites: { domain: string }[] }>().sites.map((s) => s.domain)).toEqual(['socket.example.com']);
    // The server hears of each change (to forget cached sites) before the CLI gets its answer.
    expect(hookCalls).toEqual(['before sites.add', 'after sites.add socket.example.com', 'before sites.list']);
  });

  it('brings a user error back as the same error, message and exit code', async () => {
    const duplicate = await runCli(['sites', 'add', 'socket.example.com'], { env: env() });
    expect(duplicate.exitCode).toBe(1);
    expect(duplicate.stderr).toContain('The site socket.example.com already exists');
    expect(duplicate.stderr).toContain('analytics sites list');
    expect(duplicate.stderr).not.toContain('unexpected');

    const json = await runCli(['sites', 'add', 'socket.example.com', '--json'], { env: env() });
    expect(json.json<ErrorOutput>().error).toMatchObject({ code: 'DUPLICATE_SITE', kind: 'user', exitCode: 1 });

    const usage = await runCli(['sites', 'remove', 'nope.example.com', '--force', '--json'], { env: env() });
    expect(usage.exitCode).toBe(1);
    expect(usage.json<ErrorOutput>().error.code).toBe('UNKNOWN_SITE');
  });

  it('answers only POST /ops/<known operation> with valid JSON input, and caps the body', async () => {
    expect(await post(socketPath, '/ops/sites.list', '')).toMatchObject({ status: 200, json: { result: { sites: [{}] } } });
    expect(await post(socketPath, '/ops/nope', '{}')).toMatchObject({ status: 400, json: { error: { code: 'UNKNOWN_OPERATION' } } });
    expect(await post(socketPath, '/ops/sites.add', '{not json')).toMatchObject({ status: 400, json: { error: { code: 'INVALID_JSON' } } });
    expect(await post(socketPath, '/ops/sites.add', '{"domain":1}')).toMatchObject({ status: 400, json: { error: { code: 'INVALID_INPUT' } } });
    expect(await post(socketPath, '/ops/sites.list', '', 'GET')).toMatchObject({ status: 400, json: { error: { code: 'BAD_REQUEST' } } });
    const big = await post(socketPath, '/ops/sites.add', JSON.stringify({ domain: 'x'.repeat(200_000) }));
    expect(big).toMatchObject({ status: 413, json: { error: { code: 'BODY_TOO_LARGE' } } });
  });

  it('refuses to start a second server on a live socket, and replaces a stale one', async () => {
    await expect(startAdminSocket(socketPath, stores as OpenedStores)).rejects.toMatchObject({ code: 'ADMIN_SOCKET_IN_USE' });

    const stalePath = path.join(temp.path, 'stale.sock');
    await leaveStaleSocket(stalePath);
    const second = await startAdminSocket(stalePath, stores as OpenedStores);
    expect((await post(stalePath, '/ops/sites.list', '')).status).toBe(200);
    await second.close();
    expect(existsSync(stalePath)).toBe(false);
  });

  it('removes its socket file on close; a stale socket with a free lock falls back to the direct path', async () => {
    await socket?.close();
    socket = undefined;
    expect(existsSync(socketPath)).toBe(false);
    await stores?.close();
    stores = undefined;

    await leaveStaleSocket(socketPath);
    const inode = statSync(socketPath).ino;
    const listed = await runCli(['sites', 'list', '--json'], { env: env() });
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect(listed.json<{ sites: { domain: string }[] }>().sites.map((s) => s.domain)).toEqual(['socket.example.com']);
    // The CLI leaves the file alone: removing it is the next server's job.
    expect(statSync(socketPath).ino).toBe(inode);
  });
});
