import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailTestCommandResult } from '../../../src/commands/mail/test.js';
import { runCli, tempDir } from '../../helpers/cli.js';
import {
  SMTP_PASSWORD,
  SMTP_USER,
  makeTestCertificate,
  startTestSmtpServer,
  type TestCertificate,
  type TestSmtpServer,
} from '../../helpers/smtp.js';

let certificate: TestCertificate;
let server: TestSmtpServer;

beforeAll(async () => {
  certificate = makeTestCertificate();
  server = await startTestSmtpServer({ tls: 'starttls', certificate });
});
afterAll(async () => {
  await server?.close();
  certificate?.remove();
});

function envDir(overrides: Record<string, string> = {}): string {
  const dir = tempDir();
  const values = {
    MAILER_ADAPTER: 'smtp',
    MAILER_EMAIL: 'stats@example.com',
    MAILER_NAME: 'Example Stats',
    SMTP_HOST_ADDR: server.host,
    SMTP_HOST_PORT: String(server.port),
    SMTP_USER_NAME: SMTP_USER,
    SMTP_USER_PWD: SMTP_PASSWORD,
    SMTP_HOST_SSL_ENABLED: 'false',
    ...overrides,
  };
  writeFileSync(path.join(dir, '.env'), Object.entries(values).map(([k, v]) => `${k}="${v}"`).join('\n'), { mode: 0o600 });
  return dir;
}

const cliEnv = () => ({ NODE_EXTRA_CA_CERTS: certificate.certPath });

describe('analytics mail test', () => {
  it('--json: the contract of a successful run, and the message arrives', async () => {
    const before = server.received.length;
    const run = await runCli(['mail', 'test', '--to', 'owner@example.org', '--json'], { cwd: envDir(), env: cliEnv() });
    expect(run.exitCode).toBe(0);
    const result = run.json<MailTestCommandResult>();
    expect(result).toMatchObject({
      ok: true,
      server: { host: 'localhost', port: server.port, implicitTls: false, user: SMTP_USER },
      from: 'stats@example.com',
      to: 'owner@example.org',
      failedStep: null,
      exitCode: 0,
    });
    expect(result.messageId).toMatch(/^<.+@.+>$/);
    expect(result.steps.map((s) => s.step)).toEqual(['dns', 'tcp', 'tls', 'auth', 'accepted']);
    for (const s of result.steps) {
      expect(s).toEqual(expect.objectContaining({ status: 'ok', detail: expect.any(String), durationMs: expect.any(Number) }));
    }
    const [mail] = (await server.waitFor(before + 1)).slice(before);
    expect(mail?.parsed.from?.value[0]).toEqual({ name: 'Example Stats', address: 'stats@example.com' });
    expect(mail?.parsed.messageId).toBe(result.messageId);
    expect(run.stdout).not.toContain(SMTP_PASSWORD);
  });

  it('a wrong password: exit 1, the AUTH line quotes the server and names the setting', async () => {
    const run = await runCli(['mail', 'test', '--to', 'owner@example.org'], {
      cwd: envDir({ SMTP_USER_PWD: 'not-the-password' }),
      env: cliEnv(),
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/✓ TLS {6}STARTTLS/);
    expect(run.stdout).toMatch(/✗ AUTH .*authentication as mailer@example.com failed/);
    expect(run.stdout).toMatch(/server said: 535 .*Invalid username or password/);
    expect(run.stdout).toContain('fix: correct SMTP_USER_NAME and SMTP_USER_PWD');
    expect(run.stdout).toContain('Not sent: the auth step failed.');
    expect(run.stdout).not.toContain('not-the-password');
  });

  it('a refused connection: exit 3 (unreachable) with the JSON result', async () => {
    const run = await runCli(['mail', 'test', '--to', 'owner@example.org', '--json'], {
      cwd: envDir({ SMTP_HOST_ADDR: '127.0.0.1', SMTP_HOST_PORT: '1' }),
      env: cliEnv(),
    });
    expect(run.exitCode).toBe(3);
    expect(run.json<MailTestCommandResult>()).toMatchObject({ ok: false, failedStep: 'tcp', exitCode: 3 });
  });

  it('mail off: a user error that says how to turn it on', async () => {
    const run = await runCli(['mail', 'test', '--to', 'owner@example.org', '--json'], { cwd: envDir({ MAILER_ADAPTER: 'none' }) });
    expect(run.exitCode).toBe(1);
    expect(run.json()).toMatchObject({ error: { code: 'MAIL_DISABLED', actions: expect.arrayContaining([expect.stringContaining('--mailer smtp')]) } });
  });
});

describe('mail settings in env generate and env check', () => {
  it('env generate asks every mail setting by flag; env check accepts the file', async () => {
    const dir = tempDir();
    const run = await runCli(
      [
        'env', 'generate', '--yes', '--base-url', 'https://stats.example.com', '--mailer', 'smtp',
        '--smtp-host', 'smtp.example.com', '--smtp-port', '465', '--smtp-ssl', 'true', '--smtp-user', 'postmaster',
        '--smtp-password', 'sw0rdfish-sw0rdfish', '--mailer-email', 'stats@example.com', '--mailer-name', 'Example Stats',
        '--smtp-retries', '4', '--json',
      ],
      { cwd: dir },
    );
    expect(run.exitCode).toBe(0);
    expect(run.json<{ variables: Record<string, string> }>().variables).toMatchObject({
      MAILER_ADAPTER: 'smtp',
      MAILER_EMAIL: 'stats@example.com',
      MAILER_NAME: 'Example Stats',
      SMTP_HOST_ADDR: 'smtp.example.com',
      SMTP_HOST_PORT: '465',
      SMTP_HOST_SSL_ENABLED: 'true',
      SMTP_USER_NAME: 'postmaster',
      SMTP_USER_PWD: '[redacted]',
      SMTP_RETRIES: '4',
    });
    const check = await runCli(['env', 'check', '--json'], { cwd: dir });
    expect(check.json()).toMatchObject({ ok: true, problems: [], warnings: [] });
  });

  it('env check: half a credential is a problem, port 465 without SSL a warning', async () => {
    const dir = envDir({ SMTP_USER_PWD: '', SMTP_HOST_PORT: '465', BASE_URL: 'https://s.example.com', SECRET_KEY_BASE: 'x'.repeat(64) });
    const check = await runCli(['env', 'check', '--json'], { cwd: dir });
    expect(check.exitCode).toBe(1);
    const result = check.json<{ problems: { variable: string }[]; warnings: string[] }>();
    expect(result.problems.map((p) => p.variable)).toEqual(['SMTP_USER_PWD']);
    expect(result.warnings).toContain(
      'SMTP_HOST_PORT is 465 (implicit TLS) but SMTP_HOST_SSL_ENABLED is false; set SMTP_HOST_SSL_ENABLED=true',
    );
  });
});
