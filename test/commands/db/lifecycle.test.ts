import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';
import { startPostgresCluster, type PostgresCluster } from '../../helpers/postgres-cluster.js';
import { loadMigrations, MIGRATIONS_ROOT } from '../../../src/lib/migrate/files.js';

// Counted from the files, so a new migration does not need this test edited.
const versions = (store: string) => loadMigrations(path.join(MIGRATIONS_ROOT, store)).map((m) => m.version);
const POSTGRES_VERSIONS = versions('postgres');
const CLICKHOUSE_VERSIONS = versions('clickhouse');

interface RunResult {
  applied: number;
  stores: { store: string; steps: { version: number; direction: string }[]; head: number }[];
}
interface StatusResult {
  upToDate: boolean;
  pending: number;
  stores: { store: string; applied: unknown[]; pending: { version: number }[] }[];
}

/** createdb → migrate → status 0 → rollback 1 → status 4 → migrate → seed → init-admin, as a user runs it. */
async function lifecycle(env: Record<string, string>, cwd: string) {
  const cli = (...args: string[]) => runCli([...args, '--json'], { cwd, env });

  const created = await cli('db', 'createdb');
  expect(created.exitCode, created.stderr).toBe(0);
  expect(created.json<{ databases: { status: string }[] }>().databases.map((d) => d.status)).toEqual(['created', 'created']);
  const again = await cli('db', 'createdb');
  expect(again.json<{ databases: { status: string }[] }>().databases.map((d) => d.status)).toEqual(['existing', 'existing']);

  const migrated = await cli('db', 'migrate');
  expect(migrated.exitCode, migrated.stderr).toBe(0);
  expect(migrated.json<RunResult>().applied).toBe(POSTGRES_VERSIONS.length + CLICKHOUSE_VERSIONS.length);

  const upToDate = await cli('db', 'status');
  expect(upToDate.exitCode).toBe(0);
  expect(upToDate.json<StatusResult>()).toMatchObject({ upToDate: true, pending: 0 });

  const refused = await cli('db', 'rollback', '--steps', '1');
  expect(refused.exitCode, 'no terminal and no --force').toBe(2);

  const rolledBack = await cli('db', 'rollback', '--steps', '1', '--force');
  expect(rolledBack.exitCode, rolledBack.stderr).toBe(0);
  expect(rolledBack.json<RunResult>().stores.map((s) => [s.store, s.head])).toEqual([
    ['clickhouse', CLICKHOUSE_VERSIONS.at(-2) ?? 0],
    ['postgres', POSTGRES_VERSIONS.at(-2) ?? 0],
  ]);

  const pending = await cli('db', 'status');
  expect(pending.exitCode).toBe(4);
  expect(pending.json<StatusResult>().pending).toBe(2);

  const remigrated = await cli('db', 'migrate');
  expect(remigrated.json<RunResult>().applied).toBe(2);

  const seeded = await cli('db', 'seed', '--events', '20000', '--days', '14');
  expect(seeded.exitCode, seeded.stderr).toBe(0);
  const seed = seeded.json<{ events: number; sessions: number; visitors: number; site: { domain: string } }>();
  expect(seed.site.domain).toBe('demo.example.com');
  expect(seed.events).toBeGreaterThan(15_000);
  expect(seed.events).toBeLessThan(25_000);
  expect(seed.sessions).toBeGreaterThan(seed.events / 5);
  expect(seed.visitors).toBeLessThan(seed.sessions);

  const reseed = await cli('db', 'seed', '--events', '100');
  expect(reseed.exitCode).toBe(1);
  expect(reseed.json()).toMatchObject({ error: { code: 'ALREADY_SEEDED' } });

  const admin = await cli('db', 'init-admin', '--email', 'admin@example.com', '--name', 'Ada');
  expect(admin.exitCode, admin.stderr).toBe(0);
  const adminResult = admin.json<{ user: { email: string; isAdmin: boolean }; generatedPassword: string }>();
  expect(adminResult.user).toMatchObject({ email: 'admin@example.com', isAdmin: true });
  expect(adminResult.generatedPassword).toMatch(/^[\w-]{24}$/);

  const duplicate = await cli('db', 'init-admin', '--email', 'ADMIN@example.com', '--password', 'long enough password');
  expect(duplicate.exitCode).toBe(1);
  expect(duplicate.json()).toMatchObject({ error: { code: 'DUPLICATE_EMAIL' } });
}

describe('db commands on the embedded stores (PGlite + chDB)', () => {
  // Eleven CLI runs, each opening PGlite and chDB: over a minute on a busy 2-core machine.
  it('run the whole lifecycle', async () => {
    const dir = tempDir();
    await lifecycle({ DATA_DIR: path.join(dir, 'data') }, dir);
  }, 180_000);

  it('two db migrate runs started at once never interleave', async () => {
    const dir = tempDir();
    const env = { DATA_DIR: path.join(dir, 'data') };
    const [a, b] = await Promise.all([
      runCli(['db', 'migrate', '--json'], { cwd: dir, env }),
      runCli(['db', 'migrate', '--json'], { cwd: dir, env }),
    ]);
    expect([a.exitCode, b.exitCode], a.stderr + b.stderr).toEqual([0, 0]);
    // One run applied everything; the other waited for the data-dir lock and found nothing to do.
    expect([a.json<RunResult>().applied, b.json<RunResult>().applied].sort()).toEqual([0, POSTGRES_VERSIONS.length + CLICKHOUSE_VERSIONS.length]);
    const status = await runCli(['db', 'status', '--json'], { cwd: dir, env });
    expect(status.json<StatusResult>().stores.map((s) => s.applied.length)).toEqual([POSTGRES_VERSIONS.length, CLICKHOUSE_VERSIONS.length]);
  });
});

describe('db commands on a real PostgreSQL server (with chDB)', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgresCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('run the whole lifecycle, and the tables are visible with psql', async () => {
    const dir = tempDir();
    const url = cluster.url('analytics_lifecycle');
    await lifecycle({ DATABASE_URL: url, DATA_DIR: path.join(dir, 'data') }, dir);
    const psql = await execa('psql', [url, '-At', '-c', '\\dt']);
    const tables = psql.stdout.split('\n').map((line) => line.split('|')[1]);
    // At least these; later migrations add more.
    expect(tables).toEqual(
      expect.arrayContaining(['api_keys', 'goals', 'salts', 'schema_migrations', 'settings', 'site_memberships', 'sites', 'user_sessions', 'users']),
    );
    const users = await execa('psql', [url, '-At', '-c', 'SELECT email, is_admin, password_hash LIKE $$scrypt$%$$ FROM users']);
    expect(users.stdout).toBe('admin@example.com|t|t');
  });

  it('two db migrate runs against one server never interleave (advisory lock)', async () => {
    const url = cluster.url('analytics_concurrent');
    const dirA = tempDir();
    const created = await runCli(['db', 'createdb', '--store', 'postgres'], { cwd: dirA, env: { DATABASE_URL: url, DATA_DIR: path.join(dirA, 'data') } });
    expect(created.exitCode, created.stderr).toBe(0);
    // Separate data dirs: each run has its own chDB, so only the Postgres advisory lock stands between them.
    const runs = await Promise.all(
      [tempDir(), tempDir(), tempDir()].map((dir) =>
        runCli(['db', 'migrate', '--store', 'postgres', '--json'], { cwd: dir, env: { DATABASE_URL: url, DATA_DIR: path.join(dir, 'data') } }),
      ),
    );
    expect(runs.map((r) => r.exitCode)).toEqual([0, 0, 0]);
    expect(runs.map((r) => r.json<RunResult>().applied).sort()).toEqual([0, 0, POSTGRES_VERSIONS.length]);
    const ledger = await execa('psql', [url, '-At', '-c', 'SELECT count(*), count(DISTINCT version) FROM schema_migrations']);
    expect(ledger.stdout).toBe(`${POSTGRES_VERSIONS.length}|${POSTGRES_VERSIONS.length}`);
  });

  it('an unreachable server exits 3 naming the host and the cause, without a stack trace', async () => {
    const dir = tempDir();
    const run = await runCli(['db', 'status'], {
      cwd: dir,
      env: { DATABASE_URL: 'postgres://analytics:secret-pw@127.0.0.1:1/analytics', DATA_DIR: path.join(dir, 'data') },
    });
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain('PostgreSQL at 127.0.0.1:1 is unreachable');
    expect(run.stderr).toMatch(/refused/i);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stderr).not.toContain('secret-pw');

    const json = await runCli(['db', 'migrate', '--json'], {
      cwd: dir,
      env: { DATABASE_URL: `${cluster.url('no_such_database')}`, DATA_DIR: path.join(dir, 'data') },
    });
    expect(json.exitCode).toBe(3);
    expect(json.json()).toMatchObject({ error: { code: 'SERVICE_UNREACHABLE', actions: ['analytics db createdb'] } });
  });
});
