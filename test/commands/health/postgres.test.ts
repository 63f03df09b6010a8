import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';
import { startPostgresCluster, type PostgresCluster } from '../../helpers/postgres-cluster.js';
import { spawnServer, type ServerProcess } from '../../helpers/server.js';

interface Report {
  status: string;
  checks: { name: string; status: string; value: string; message?: string; next?: string }[];
}

describe('analytics health with PostgreSQL as a server (and chDB), then PostgreSQL stopped', () => {
  let cluster: PostgresCluster;
  let server: ServerProcess | undefined;
  const dir = tempDir();
  let env: Record<string, string>;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    env = { DATA_DIR: path.join(dir, 'data'), DATABASE_URL: cluster.url('postgres') };
    server = await spawnServer(env);
  }, 120_000);
  afterAll(async () => {
    await server?.stop('SIGKILL');
    await cluster?.stop();
  });

  it('is OK with PostgreSQL up and CRITICAL (exit 2) once it stops, naming the next step', async () => {
    const up = await runCli(['health', '--json', '--check', 'postgres', '--check', 'server', '--check', 'probe'], { cwd: dir, env });
    expect(up.exitCode, up.stdout).toBe(0);
    expect(up.json<Report>().checks.find((c) => c.name === 'postgres')?.value).toMatch(/^PostgreSQL 15\.\d+, \d+ ms$/);

    await cluster.stop();
    const down = await runCli(['health', '--json', '--check', 'postgres', '--check', 'server', '--check', 'probe'], { cwd: dir, env });
    expect(down.exitCode, down.stdout).toBe(2);
    const byName = Object.fromEntries(down.json<Report>().checks.map((c) => [c.name, c]));
    expect(byName.postgres).toMatchObject({ status: 'CRITICAL', value: 'unreachable', next: expect.stringContaining('start PostgreSQL') });
    expect(byName.server).toMatchObject({ status: 'CRITICAL', message: expect.stringContaining('postgres') });
    expect(byName.probe?.status).toBe('CRITICAL');
  });
});
