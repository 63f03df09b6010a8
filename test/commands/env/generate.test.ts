import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { binRun, runCli, tempDir } from '../../helpers/cli.js';
import { PtySession } from '../../helpers/pty.js';

describe('env generate (no terminal)', () => {
  it('--yes --base-url --json writes a valid 0600 .env and prints the result as JSON', async () => {
    const dir = tempDir();
    const run = await runCli(['env', 'generate', '--yes', '--base-url', 'https://stats.example.com', '--json'], { cwd: dir });
    expect(run.exitCode).toBe(0);
    const result = run.json<Record<string, unknown>>();
    expect(result).toMatchObject({
      path: path.join(dir, '.env'),
      action: 'created',
      mode: '0600',
      storage: 'embedded',
      generatedSecrets: ['SECRET_KEY_BASE'],
      keptSecrets: [],
    });
    expect((result.variables as Record<string, string>).SECRET_KEY_BASE).toBe('[redacted]');
    const file = path.join(dir, '.env');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const values = parse(readFileSync(file));
    expect(values.BASE_URL).toBe('https://stats.example.com');
    expect(Buffer.byteLength(values.SECRET_KEY_BASE ?? '')).toBeGreaterThanOrEqual(64);
    expect(run.stdout).not.toContain(values.SECRET_KEY_BASE);

    const check = await runCli(['env', 'check', '--json'], { cwd: dir });
    expect(check.exitCode).toBe(0);
    expect(check.json()).toMatchObject({ ok: true, problems: [], storageMode: 'embedded' });
  });

  it('fails with exit 2 naming the flag when a required answer is missing and nobody can be asked', async () => {
    const dir = tempDir();
    const run = await runCli(['env', 'generate'], { cwd: dir });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('--base-url');
    expect(() => statSync(path.join(dir, '.env'))).toThrow();
  });

  it('never overwrites an existing file without --force, and keeps secrets unless --rotate-secrets', async () => {
    const dir = tempDir();
    const file = path.join(dir, '.env');
    await runCli(['env', 'generate', '--yes', '--base-url', 'https://a.example.com'], { cwd: dir });
    const first = readFileSync(file, 'utf8');
    const firstSecret = parse(first).SECRET_KEY_BASE;

    const refused = await runCli(['env', 'generate', '--yes', '--base-url', 'https://b.example.com', '--json'], { cwd: dir });
    expect(refused.exitCode).toBe(1);
    expect(refused.json()).toMatchObject({ error: { code: 'ENV_FILE_EXISTS' } });
    expect(readFileSync(file, 'utf8')).toBe(first);

    const forced = await runCli(['env', 'generate', '--yes', '--force', '--base-url', 'https://b.example.com', '--json'], { cwd: dir });
    expect(forced.exitCode).toBe(0);
    expect(forced.json()).toMatchObject({ action: 'overwritten', keptSecrets: ['SECRET_KEY_BASE'], generatedSecrets: [] });
    const second = parse(readFileSync(file));
    expect(second.BASE_URL).toBe('https://b.example.com');
    expect(second.SECRET_KEY_BASE).toBe(firstSecret);

    const rotated = await runCli(['env', 'generate', '--yes', '--force', '--rotate-secrets', '--json'], { cwd: dir });
    expect(rotated.exitCode).toBe(0);
    const third = parse(readFileSync(file));
    expect(third.SECRET_KEY_BASE).not.toBe(firstSecret);
    expect(third.BASE_URL).toBe('https://b.example.com');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('servers storage generates database passwords into the URLs and redacts them in the result', async () => {
    const dir = tempDir();
    const run = await runCli(
      ['env', 'generate', '--yes', '--base-url', 'https://s.example.com', '--storage', 'servers', '--json'],
      { cwd: dir },
    );
    expect(run.exitCode).toBe(0);
    const values = parse(readFileSync(path.join(dir, '.env')));
    expect(values.POSTGRES_PASSWORD).toMatch(/^[\w-]{32}$/);
    expect(values.DATABASE_URL).toBe(`postgres://analytics:${values.POSTGRES_PASSWORD}@localhost:5432/analytics`);
    expect(values.CLICKHOUSE_URL).toContain(values.CLICKHOUSE_PASSWORD);
    const result = run.json<{ variables: Record<string, string>; storage: string }>();
    expect(result.storage).toBe('servers');
    expect(result.variables.DATABASE_URL).toBe('postgres://analytics:****@localhost:5432/analytics');
    expect(run.stdout).not.toContain(values.POSTGRES_PASSWORD);
    expect(run.stdout).not.toContain(values.CLICKHOUSE_PASSWORD);
  });

  it('rejects an invalid answer with exit 2 and writes nothing', async () => {
    const dir = tempDir();
    const run = await runCli(['env', 'generate', '--yes', '--base-url', 'https://x.example.com', '--port', '99999'], { cwd: dir });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('PORT must be a whole number from 0 to 65535');
    expect(() => statSync(path.join(dir, '.env'))).toThrow();
  });

  it('keeps hand-edited settings the wizard does not ask about', async () => {
    const dir = tempDir();
    const file = path.join(dir, '.env');
    writeFileSync(file, 'BASE_URL=https://old.example.com\nCLICKHOUSE_FLUSH_INTERVAL_MS=2500\n', { mode: 0o600 });
    const run = await runCli(['env', 'generate', '--yes', '--force'], { cwd: dir });
    expect(run.exitCode).toBe(0);
    const values = parse(readFileSync(file));
    expect(values.BASE_URL).toBe('https://old.example.com');
    expect(values.CLICKHOUSE_FLUSH_INTERVAL_MS).toBe('2500');
  });
});

describe('env generate (interactive wizard in a real pseudo-terminal)', () => {
  it('asks every question and writes what was answered', async () => {
    const dir = tempDir();
    const session = new PtySession(`node ${binRun} env generate`, { cwd: dir });
    try {
      await session.answer('Public URL of the analytics server', 'https://wizard.example.com');
      await session.answer('HTTP port', '\x15' + '9000'); // Ctrl-U clears the default first
      await session.answer('Data directory', '');
      await session.answer('Storage', '');
      await session.answer('Admin email', 'admin@example.com');
      await session.answer('Admin name', '');
      await session.answer('Admin password', 'correct horse battery');
      await session.answer('Outgoing mail', '');
      await session.answer('MaxMind .mmdb path', '');
      await session.answer('Trusted proxies', '');
      await session.answer('Backup directory', '');
      await session.answer('age public key', '');
      await session.expect('Next: analytics env check');
      expect(await session.exited).toBe(0);
    } finally {
      session.kill();
    }
    const file = path.join(dir, '.env');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const values = parse(readFileSync(file));
    expect(values).toMatchObject({
      BASE_URL: 'https://wizard.example.com',
      PORT: '9000',
      ADMIN_USER_EMAIL: 'admin@example.com',
      ADMIN_USER_NAME: 'Admin',
      ADMIN_USER_PWD: 'correct horse battery',
      MAILER_ADAPTER: 'none',
    });
    expect(session.text).not.toContain('correct horse battery');
  });

  it('asks nothing under --yes, and re-asks an invalid answer instead of writing it', async () => {
    const dir = tempDir();
    const session = new PtySession(`node ${binRun} env generate --yes --base-url https://x.example.com --output my.env`, { cwd: dir });
    try {
      await session.expect('Next: analytics env check');
      expect(await session.exited).toBe(0);
    } finally {
      session.kill();
    }
    const interactive = new PtySession(`node ${binRun} env generate --output other.env`, { cwd: dir });
    try {
      await interactive.answer('Public URL of the analytics server', 'not a url');
      await interactive.expect('BASE_URL must be a URL');
    } finally {
      interactive.kill();
    }
    expect(() => statSync(path.join(dir, 'other.env'))).toThrow();
  });
});
