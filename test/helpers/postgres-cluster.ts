/**
 * A throwaway PostgreSQL cluster for tests, started the way /work/shared/ENVIRONMENT.md describes:
 * initdb + pg_ctl as the `postgres` user (they refuse to run as root), a temp dir owned by postgres,
 * a free loopback port, fsync off. About 1.5 s to start. Missing binaries fail loudly, never skip.
 */
import { spawnSync } from 'node:child_process';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

export interface PostgresCluster {
  host: string;
  port: number;
  /** Connection URL for a database on this cluster (default `postgres`), including the password if one was set. */
  url(database?: string): string;
  /** Stops the server and deletes its directory; safe to call twice. */
  stop(): Promise<void>;
}

export interface PostgresClusterOptions {
  /** Require password (scram) authentication over TCP for the `postgres` user; default: trust. */
  password?: string;
}

const POSTGRES_LIB = '/usr/lib/postgresql';

function findBinDir(): string {
  const versions = existsSync(POSTGRES_LIB)
    ? readdirSync(POSTGRES_LIB)
        .filter((name) => /^\d+$/.test(name))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const preferred = versions.includes('15') ? ['15', ...versions.filter((v) => v !== '15')] : versions;
  for (const version of preferred) {
    const bin = join(POSTGRES_LIB, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  throw new Error(
    `PostgreSQL server binaries (initdb, pg_ctl) not found under ${POSTGRES_LIB}/<version>/bin. ` +
      'The storage tests need a real PostgreSQL 15: install it with `apt-get update && apt-get install -y postgresql` ' +
      '(and add it to .ci/run).',
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function postgresIds(): { uid: number; gid: number } {
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(
      'Running as root but there is no `postgres` system user to run initdb/pg_ctl as. ' +
        'Install the Debian package: `apt-get install -y postgresql`.',
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export async function startPostgresCluster(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  const bin = findBinDir();
  const asRoot = process.getuid?.() === 0;
  // initdb and postgres refuse root: run them as the postgres user.
  const run = (command: string, args: string[]) =>
    asRoot ? execa('runuser', ['-u', 'postgres', '--', join(bin, command), ...args]) : execa(join(bin, command), args);

  const dir = await mkdtemp(join(tmpdir(), 'analytics-pg-'));
  const dataDir = join(dir, 'data');
  const host = '127.0.0.1';
  if (asRoot) {
    const { uid, gid } = postgresIds();
    await chown(dir, uid, gid);
  }
  await chmod(dir, 0o700);

  const initdbArgs = ['-D', dataDir, '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8'];
  if (options.password !== undefined) {
    const pwfile = join(dir, 'pwfile');
    await writeFile(pwfile, `${options.password}\n`, { mode: 0o600 });
    if (asRoot) {
      const { uid, gid } = postgresIds();
      await chown(pwfile, uid, gid);
    }
    initdbArgs.push(`--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256');
  } else {
    initdbArgs.push('--auth=trust');
  }

  let port = 0;
  try {
    await run('initdb', initdbArgs);
    // A port found free can be taken before postgres binds it: retry a few times.
    for (let attempt = 1; ; attempt += 1) {
      port = await freePort();
      try {
        await run('pg_ctl', [
          '-D', dataDir, '-l', join(dir, 'pg.log'), '-w',
          '-o', `-p ${port} -k ${dir} -c listen_addresses=${host} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
          'start',
        ]);
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`Could not start a throwaway PostgreSQL cluster with ${bin}: ${detail}`);
  }

  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    const args = ['-D', dataDir, '-m', 'immediate', '-w', 'stop'];
    if (asRoot) spawnSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), ...args], { stdio: 'ignore' });
    else spawnSync(join(bin, 'pg_ctl'), args, { stdio: 'ignore' });
  };
  // Safety net: a crashed test run must not leave a postgres behind.
  process.once('exit', stopSync);

  const credentials = options.password !== undefined ? `postgres:${encodeURIComponent(options.password)}` : 'postgres';
  return {
    host,
    port,
    url: (database = 'postgres') => `postgres://${credentials}@${host}:${port}/${encodeURIComponent(database)}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', stopSync);
      await run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
