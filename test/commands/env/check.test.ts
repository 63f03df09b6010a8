import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';

interface CheckResult {
  ok: boolean;
  problems: { variable: string; message: string; fix: string }[];
  warnings: string[];
}

describe('env check', () => {
  it('lists every problem of a broken file at once and exits 1', async () => {
    const dir = tempDir();
    const file = path.join(dir, '.env');
    writeFileSync(
      file,
      [
        'BASE_URL=stats.example.com',
        'PORT=eighty',
        'SECRET_KEY_BASE=short',
        'DATABASE_URL=mysql://db/analytics',
        'TRUSTED_PROXIES=10.0.0.0/8,not-a-cidr',
        'MAILER_ADAPTER=smtp',
        'DATABSE_POOL_SIZE=5',
      ].join('\n'),
      { mode: 0o644 },
    );
    const run = await runCli(['env', 'check', '--json'], { cwd: dir });
    expect(run.exitCode).toBe(1);
    const result = run.json<CheckResult>();
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.variable).sort()).toEqual(
      ['BASE_URL', 'DATABASE_URL', 'MAILER_EMAIL', 'PORT', 'SECRET_KEY_BASE', 'SMTP_HOST_ADDR', 'TRUSTED_PROXIES'].sort(),
    );
    for (const problem of result.problems) expect(problem.fix).toMatch(/\S/);
    expect(result.problems.find((p) => p.variable === 'PORT')?.fix).toBe(`correct PORT in ${file}`);
    expect(result.warnings.join('\n')).toContain('unknown variable DATABSE_POOL_SIZE (did you mean DATABASE_POOL_SIZE?)');
    expect(result.warnings.join('\n')).toContain(`chmod 600 ${file}`);

    const human = await runCli(['env', 'check'], { cwd: dir });
    expect(human.exitCode).toBe(1);
    expect(human.stdout.split('\n').filter((l) => l.startsWith('✗'))).toHaveLength(7);
  });

  it('reports a missing file and the command that creates it', async () => {
    const run = await runCli(['env', 'check', '--json'], { cwd: tempDir() });
    expect(run.exitCode).toBe(1);
    expect(run.json<CheckResult>().problems.map((p) => p.variable)).toEqual(['BASE_URL', 'SECRET_KEY_BASE']);
    expect(run.json<CheckResult>().problems[0]?.fix).toContain('analytics env generate');
  });

  it('accepts the older CLICKHOUSE_DATABASE_* form and the environment over the file', async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, '.env'),
      `BASE_URL=https://s.example.com\nSECRET_KEY_BASE=${'x'.repeat(64)}\nCLICKHOUSE_DATABASE_HOST=ch\nCLICKHOUSE_DATABASE_NAME=events\nPORT=bad\n`,
    );
    chmodSync(path.join(dir, '.env'), 0o600);
    const run = await runCli(['env', 'check', '--json'], { cwd: dir, env: { PORT: '8080' } });
    expect(run.exitCode).toBe(0);
    expect(run.json()).toMatchObject({ ok: true, storageMode: 'mixed', warnings: [] });
  });
});
