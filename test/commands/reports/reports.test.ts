import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportsListResult } from '../../../src/commands/reports/list.js';
import type { ReportsSendResult } from '../../../src/commands/reports/send.js';
import type { ReportsSubscribeResult } from '../../../src/commands/reports/subscribe.js';
import type { ReportsUnsubscribeResult } from '../../../src/commands/reports/unsubscribe.js';
import { seedDemoSite } from '../../../src/lib/seed/seed.js';
import { runCli } from '../../helpers/cli.js';
import { prepareDataDir, withDataDir } from '../../helpers/fixtures.js';
import { spawnServer } from '../../helpers/server.js';
import { SMTP_PASSWORD, SMTP_USER, makeTestCertificate, startTestSmtpServer, type TestCertificate, type TestSmtpServer } from '../../helpers/smtp.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

let temp: TempDir;
let certificate: TestCertificate;
let smtp: TestSmtpServer;

beforeAll(async () => {
  temp = await makeTempDir('analytics-reports-cli-');
  certificate = makeTestCertificate();
  smtp = await startTestSmtpServer({ tls: 'starttls', certificate });
  await prepareDataDir(path.join(temp.path, 'data'), ['cli.example']);
  await withDataDir(path.join(temp.path, 'data'), (stores) =>
    seedDemoSite(stores.postgres, stores.clickhouse, { domain: 'cli.example', events: 2_000, days: 20, seed: 3, replace: false }),
  );
  const env = {
    DATA_DIR: './data',
    BASE_URL: 'https://stats.example.com',
    MAILER_ADAPTER: 'smtp',
    MAILER_EMAIL: 'reports@example.com',
    SMTP_HOST_ADDR: smtp.host,
    SMTP_HOST_PORT: String(smtp.port),
    SMTP_USER_NAME: SMTP_USER,
    SMTP_USER_PWD: SMTP_PASSWORD,
  };
  writeFileSync(path.join(temp.path, '.env'), Object.entries(env).map(([k, v]) => `${k}="${v}"`).join('\n'), { mode: 0o600 });
}, 180_000);

afterAll(async () => {
  await smtp?.close();
  certificate?.remove();
  await temp?.remove();
});

const cli = (...args: string[]) => runCli(args, { cwd: temp.path, env: { NODE_EXTRA_CA_CERTS: certificate.certPath } });

describe('analytics reports', () => {
  it('subscribe, list, send --dry-run, send (once, then --force), unsubscribe — with their JSON contracts', async () => {
    const sub = await cli('reports', 'subscribe', '--site', 'cli.example', '--email', 'owner@example.org', '--period', 'week', '--period', 'month', '--json');
    expect(sub.exitCode, sub.stderr).toBe(0);
    const subscribed = sub.json<ReportsSubscribeResult>();
    expect(subscribed.existing).toEqual([]);
    expect(subscribed.subscriptions.map((s) => [s.domain, s.email, s.period])).toEqual([
      ['cli.example', 'owner@example.org', 'month'],
      ['cli.example', 'owner@example.org', 'week'],
    ]);
    expect(subscribed.subscriptions[0]).toEqual({
      id: expect.any(Number),
      siteId: expect.any(Number),
      domain: 'cli.example',
      email: 'owner@example.org',
      period: 'month',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const again = await cli('reports', 'subscribe', '--site', 'cli.example', '--email', 'OWNER@example.org', '--json');
    expect(again.json<ReportsSubscribeResult>().existing).toEqual(['week']);

    const list = await cli('reports', 'list', '--json');
    expect(list.json<ReportsListResult>().subscriptions).toHaveLength(2);
    expect(list.stdout).not.toContain('unsubscribeToken');
    const table = await cli('reports', 'list', '--site', 'cli.example');
    expect(table.stdout).toMatch(/cli\.example\s+week\s+owner@example\.org/);

    const dry = await cli('reports', 'send', '--site', 'cli.example', '--period', 'week', '--dry-run');
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^Weekly report for cli\.example: /);
    expect(dry.stdout).toMatch(/Visitors: +[\d,]+ +\(/);
    expect(dry.stdout).toContain('Top sources:');
    expect(dry.stderr).toContain('Dry run: nothing sent. Subscribers: owner@example.org.');
    expect(smtp.received).toHaveLength(0);

    const sent = await cli('reports', 'send', '--site', 'cli.example', '--period', 'week', '--json');
    expect(sent.exitCode, sent.stderr).toBe(0);
    const result = sent.json<ReportsSendResult>();
    expect(result).toMatchObject({ site: 'cli.example', period: 'week', outcome: 'sent', recipients: ['owner@example.org'], delivered: ['owner@example.org'], failures: [] });
    expect(result.first).toMatch(/^\d{4}-\d\d-\d\d$/);
    expect(result.numbers?.visitors.value).toBeGreaterThan(0);
    await smtp.waitFor(1);

    const twice = await cli('reports', 'send', '--site', 'cli.example', '--period', 'week');
    expect(twice.exitCode).toBe(0);
    expect(twice.stdout).toContain('is already sent');
    expect(twice.stdout).toContain('--force');
    const forced = await cli('reports', 'send', '--site', 'cli.example', '--period', 'week', '--force', '--json');
    expect(forced.json<ReportsSendResult>().outcome).toBe('sent');
    await smtp.waitFor(2);
    expect(smtp.received).toHaveLength(2);

    const unsub = await cli('reports', 'unsubscribe', '--site', 'cli.example', '--email', 'owner@example.org', '--period', 'month', '--json');
    expect(unsub.json<ReportsUnsubscribeResult>().removed.map((s) => s.period)).toEqual(['month']);
    const gone = await cli('reports', 'unsubscribe', '--site', 'cli.example', '--email', 'owner@example.org', '--period', 'month', '--json');
    expect(gone.exitCode).toBe(1);
    expect(gone.json()).toMatchObject({ error: { code: 'NOT_SUBSCRIBED' } });
    const unknown = await cli('reports', 'list', '--site', 'nope.example', '--json');
    expect(unknown.json()).toMatchObject({ error: { code: 'UNKNOWN_SITE' } });
  }, 120_000);

  it('works while the server runs (through its admin socket), and a failed send exits 1 naming the server\'s reply', async () => {
    // The server sends (it owns the stores): it is the process that must trust the test CA.
    const server = await spawnServer({ DATA_DIR: path.join(temp.path, 'data'), MAILER_ADAPTER: 'none', NODE_EXTRA_CA_CERTS: certificate.certPath });
    try {
      const sub = await cli('reports', 'subscribe', '--site', 'cli.example', '--email', 'second@example.org', '--period', 'month', '--json');
      expect(sub.exitCode, sub.stderr).toBe(0);
      expect(sub.json<ReportsSubscribeResult>().subscriptions).toHaveLength(1);
      const failed = await runCli(['reports', 'send', '--site', 'cli.example', '--period', 'month', '--json'], {
        cwd: temp.path,
        env: { NODE_EXTRA_CA_CERTS: certificate.certPath, SMTP_USER_PWD: 'wrong-password' },
      });
      expect(failed.exitCode).toBe(1);
      const result = failed.json<ReportsSendResult>();
      expect(result).toMatchObject({ outcome: 'failed', delivered: [] });
      expect(result.failures[0]?.serverReply, JSON.stringify(result.failures)).toMatch(/^535 /);
      expect(result.retryAt).toEqual(expect.any(String));
    } finally {
      await server.stop();
    }
  }, 120_000);
});
