import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMailTest, type MailTestResult } from '../../../src/lib/mail/mail-test.js';
import type { SmtpSettings } from '../../../src/lib/mail/settings.js';
import {
  SMTP_PASSWORD,
  SMTP_USER,
  makeTestCertificate,
  startTestSmtpServer,
  type TestCertificate,
  type TestSmtpServer,
} from '../../helpers/smtp.js';

let certificate: TestCertificate;
let starttls: TestSmtpServer;
let implicit: TestSmtpServer;
let plain: TestSmtpServer;

beforeAll(async () => {
  certificate = makeTestCertificate();
  starttls = await startTestSmtpServer({ tls: 'starttls', certificate });
  implicit = await startTestSmtpServer({ tls: 'implicit', certificate });
  plain = await startTestSmtpServer({ tls: 'plain' });
});

afterAll(async () => {
  await Promise.all([starttls?.close(), implicit?.close(), plain?.close()]);
  certificate?.remove();
});

function settingsFor(server: { host: string; port: number }, overrides: Partial<SmtpSettings> = {}): SmtpSettings {
  return {
    host: server.host,
    port: server.port,
    implicitTls: false,
    user: SMTP_USER,
    password: SMTP_PASSWORD,
    from: { name: 'Analytics', address: 'stats@example.com' },
    retries: 0,
    tls: { ca: certificate.cert },
    timeoutMs: 5_000,
    ...overrides,
  };
}

const step = (result: MailTestResult, name: string) => result.steps.find((s) => s.step === name);

describe('mail test against a real SMTP server', () => {
  it('STARTTLS + AUTH: every step passes and the message arrives as sent', async () => {
    const before = starttls.received.length;
    const result = await runMailTest(settingsFor(starttls), { to: 'owner@example.org' });
    expect(result.steps.map((s) => [s.step, s.status])).toEqual([
      ['dns', 'ok'],
      ['tcp', 'ok'],
      ['tls', 'ok'],
      ['auth', 'ok'],
      ['accepted', 'ok'],
    ]);
    expect(result).toMatchObject({ ok: true, failedStep: null, exitCode: 0 });
    expect(step(result, 'tls')?.detail).toMatch(/^STARTTLS: TLSv1\.[23]/);
    expect(step(result, 'accepted')?.detail).toContain('Message queued as test');
    const [mail] = (await starttls.waitFor(before + 1)).slice(before);
    expect(mail?.to).toEqual(['owner@example.org']);
    expect(mail?.from).toBe('stats@example.com');
    expect(mail?.parsed.from?.value[0]).toMatchObject({ name: 'Analytics', address: 'stats@example.com' });
    expect(mail?.parsed.subject).toMatch(/^analytics mail test \d{4}-\d\d-\d\dT/);
    expect(mail?.parsed.text).toContain('analytics mail test');
    expect(mail?.parsed.messageId).toBe(result.messageId);
  });

  it('implicit TLS (port 465 style) + AUTH passes', async () => {
    const before = implicit.received.length;
    const result = await runMailTest(settingsFor(implicit, { implicitTls: true }), { to: 'owner@example.org' });
    expect(result.ok).toBe(true);
    expect(step(result, 'tls')?.detail).toMatch(/^implicit TLS: TLSv1\.[23]/);
    await implicit.waitFor(before + 1);
  });

  it('a wrong password fails at AUTH with the server\'s reply and names SMTP_USER_PWD; nothing is sent', async () => {
    const before = starttls.received.length;
    const result = await runMailTest(settingsFor(starttls, { password: 'wrong' }), { to: 'owner@example.org' });
    expect(result).toMatchObject({ ok: false, failedStep: 'auth', exitCode: 1, messageId: null });
    const auth = step(result, 'auth');
    expect(auth?.status).toBe('failed');
    expect(auth?.serverReply).toMatch(/^535 .*Invalid username or password/);
    expect(auth?.fix).toContain('SMTP_USER_PWD');
    expect(step(result, 'tls')?.status).toBe('ok');
    expect(step(result, 'accepted')).toMatchObject({ status: 'skipped', detail: 'not tried: auth failed' });
    expect(starttls.received.length).toBe(before);
  });

  it('a refused connection fails at TCP with exit code 3 and points at SMTP_HOST_PORT', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const result = await runMailTest(settingsFor({ host: '127.0.0.1', port: closedPort }), { to: 'owner@example.org' });
    expect(result).toMatchObject({ ok: false, failedStep: 'tcp', exitCode: 3 });
    expect(step(result, 'dns')?.status).toBe('ok');
    expect(step(result, 'tcp')?.detail).toContain('ECONNREFUSED');
    expect(step(result, 'tcp')?.fix).toContain('SMTP_HOST_PORT');
  });

  it('TLS expected but the server speaks plain SMTP: fails at TLS quoting its greeting, fix SMTP_HOST_SSL_ENABLED=false', async () => {
    const result = await runMailTest(settingsFor(starttls, { implicitTls: true }), { to: 'owner@example.org' });
    expect(result).toMatchObject({ ok: false, failedStep: 'tls', exitCode: 1 });
    const tls = step(result, 'tls');
    expect(tls?.serverReply).toMatch(/^220 .*analytics test SMTP/);
    expect(tls?.fix).toContain('SMTP_HOST_SSL_ENABLED=false');
  });

  it('plain expected but the server speaks TLS from the first byte: fails at TLS, fix SMTP_HOST_SSL_ENABLED=true', async () => {
    const result = await runMailTest(settingsFor(implicit, { implicitTls: false }), {
      to: 'owner@example.org',
      greetingTimeoutMs: 1_500,
    });
    expect(result).toMatchObject({ ok: false, failedStep: 'tls', exitCode: 1 });
    const tls = step(result, 'tls');
    expect(tls?.detail).toContain('expects TLS from the first byte');
    expect(tls?.fix).toContain('SMTP_HOST_SSL_ENABLED=true');
  });

  it('an untrusted certificate fails at TLS and says how to trust it', async () => {
    const result = await runMailTest(settingsFor(starttls, { tls: {} }), { to: 'owner@example.org' });
    expect(result).toMatchObject({ ok: false, failedStep: 'tls' });
    expect(step(result, 'tls')?.detail).toMatch(/self[- ]signed/i);
    expect(step(result, 'tls')?.fix).toContain('NODE_EXTRA_CA_CERTS');
  });

  it('a server without STARTTLS is a warning, not a failure: the message still goes', async () => {
    const result = await runMailTest(settingsFor(plain), { to: 'owner@example.org' });
    expect(result.ok).toBe(true);
    expect(step(result, 'tls')).toMatchObject({ status: 'warning' });
    expect(step(result, 'tls')?.detail).toContain('plain text');
  });

  it('a host that does not resolve fails at DNS with exit code 3', async () => {
    const result = await runMailTest(settingsFor({ host: 'smtp.does-not-exist.invalid', port: 587 }), { to: 'owner@example.org' });
    expect(result).toMatchObject({ ok: false, failedStep: 'dns', exitCode: 3 });
    expect(step(result, 'dns')?.fix).toContain('SMTP_HOST_ADDR');
    expect(result.steps.filter((s) => s.status === 'skipped').map((s) => s.step)).toEqual(['tcp', 'tls', 'auth', 'accepted']);
  });
});
