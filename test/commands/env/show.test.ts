import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';

interface ShowResult {
  storageMode: string;
  variables: { name: string; value: string | null; source: string; via?: string }[];
}

describe('env show', () => {
  const secret = 's3cr3t-'.repeat(12);
  const setup = () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, '.env'),
      [
        'BASE_URL=https://file.example.com',
        'PORT=7000',
        `SECRET_KEY_BASE=${secret}`,
        'DATABASE_URL=postgres://analytics:pgpass123@db:5432/analytics',
        'SMTP_USER_PWD=mailpass456',
        'GEOLITE2_COUNTRY_DB=',
      ].join('\n'),
      { mode: 0o600 },
    );
    return dir;
  };

  it('redacts secrets and URL passwords everywhere', async () => {
    const dir = setup();
    for (const args of [['env', 'show', '--all'], ['env', 'show', '--json']]) {
      const run = await runCli(args, { cwd: dir });
      expect(run.exitCode).toBe(0);
      for (const leaked of [secret, 'pgpass123', 'mailpass456']) {
        expect(run.stdout).not.toContain(leaked);
        expect(run.stderr).not.toContain(leaked);
      }
    }
    const result = (await runCli(['env', 'show', '--json'], { cwd: dir })).json<ShowResult>();
    const byName = Object.fromEntries(result.variables.map((v) => [v.name, v]));
    expect(byName.SECRET_KEY_BASE?.value).toBe('[redacted]');
    expect(byName.SMTP_USER_PWD?.value).toBe('[redacted]');
    expect(byName.DATABASE_URL?.value).toBe('postgres://analytics:****@db:5432/analytics');
    expect(byName.IP_GEOLOCATION_DB).toMatchObject({ source: 'file', via: 'GEOLITE2_COUNTRY_DB' });
  });

  it('tells where each value comes from: flag > environment > file > default', async () => {
    const dir = setup();
    const run = await runCli(['env', 'show', '--json', '--data-dir', '/srv/analytics'], {
      cwd: dir,
      env: { PORT: '9999', BASE_URL: 'https://env.example.com' },
    });
    const byName = Object.fromEntries(run.json<ShowResult>().variables.map((v) => [v.name, v]));
    expect(byName.DATA_DIR).toMatchObject({ value: '/srv/analytics', source: 'flag' });
    expect(byName.PORT).toMatchObject({ value: '9999', source: 'env' });
    expect(byName.BASE_URL).toMatchObject({ value: 'https://env.example.com', source: 'env' });
    expect(byName.DATABASE_URL?.source).toBe('file');
    expect(byName.LISTEN_IP).toMatchObject({ value: '0.0.0.0', source: 'default' });
  });
});
