/**
 * The report scheduler inside `analytics start`: a seeded site's weekly report arrives at a real SMTP
 * server with the Stats API's numbers, and a restart in the same period sends nothing again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareDataDir, withDataDir } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { spawnServer, type ServerProcess } from '../helpers/server.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { SMTP_PASSWORD, SMTP_USER, makeTestCertificate, startTestSmtpServer, type TestCertificate, type TestSmtpServer } from '../helpers/smtp.js';
import { seedDemoSite } from '../../src/lib/seed/seed.js';
import { subscribe } from '../../src/lib/reports/subscriptions.js';
import { lastCompletedPeriod } from '../../src/lib/reports/periods.js';
import { ledgerEntry } from '../../src/lib/reports/ledger.js';
import { formatChange, formatDuration, statsParams } from '../../src/lib/reports/content.js';
import { lastSendResults } from '../../src/lib/mail/last-send.js';
import { runStatsQuery } from '../../src/lib/stats/index.js';

const DOMAIN = 'report.example';
let temp: TempDir;
let certificate: TestCertificate;
let smtp: TestSmtpServer;
let siteId: number;
const servers: ServerProcess[] = [];

function serverEnv(): Record<string, string> {
  return {
    DATA_DIR: temp.path,
    BASE_URL: 'https://stats.example.com',
    LOG_LEVEL: 'debug',
    MAILER_ADAPTER: 'smtp',
    MAILER_EMAIL: 'reports@example.com',
    MAILER_NAME: 'Example Stats',
    SMTP_HOST_ADDR: smtp.host,
    SMTP_HOST_PORT: String(smtp.port),
    SMTP_USER_NAME: SMTP_USER,
    SMTP_USER_PWD: SMTP_PASSWORD,
    NODE_EXTRA_CA_CERTS: certificate.certPath,
  };
}

async function waitForLog(server: ServerProcess, msg: string, count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const matching = () => server.logs.filter((line) => line.includes(`"msg":"${msg}"`)).length;
  while (matching() < count) {
    if (Date.now() > deadline) throw new Error(`no "${msg}" log line in ${timeoutMs} ms:\n${server.logs.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  temp = await makeTempDir('analytics-reports-');
  certificate = makeTestCertificate();
  smtp = await startTestSmtpServer({ tls: 'starttls', certificate });
  siteId = (await prepareDataDir(temp.path, [DOMAIN]))[DOMAIN] as number;
  await withDataDir(temp.path, async (stores) => {
    await seedDemoSite(stores.postgres, stores.clickhouse, { domain: DOMAIN, events: 6_000, days: 30, seed: 11, replace: false });
    await subscribe(stores.postgres, { domain: DOMAIN, email: 'owner@example.org', periods: ['week'] });
    await subscribe(stores.postgres, { domain: DOMAIN, email: 'team@example.org', periods: ['week'] });
  });
}, 180_000);

afterAll(async () => {
  for (const server of servers) await server.stop('SIGKILL');
  await smtp?.close();
  certificate?.remove();
  await temp?.remove();
});

describe('email reports sent by the server', () => {
  it('sends the weekly report once per subscriber, with the Stats API\'s numbers; a restart sends nothing again', async () => {
    const first = await spawnServer(serverEnv());
    servers.push(first);
    await waitForLog(first, 'report sent', 1);
    await smtp.waitFor(2);
    // analytics health asks the running server (admin socket) for the mail check.
    const health = await runCli(['health', '--check', 'mail', '--json'], { env: serverEnv() });
    expect(health.exitCode, health.stderr).toBe(0);
    expect(health.json<{ checks: { name: string; status: string; value: string }[] }>().checks[0]).toMatchObject({
      name: 'mail',
      status: 'OK',
      value: expect.stringMatching(/^last report mail sent /),
    });
    expect(await first.stop()).toBe(0);
    expect(smtp.received.map((m) => m.to[0]).sort()).toEqual(['owner@example.org', 'team@example.org']);

    // Restart within the same week: the scheduler runs at start-up, finds the report claimed, sends nothing.
    const second = await spawnServer(serverEnv());
    servers.push(second);
    await waitForLog(second, 'reports checked', 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await second.stop()).toBe(0);
    expect(smtp.received).toHaveLength(2);
    expect(second.logs.some((l) => l.includes('"msg":"report sent"'))).toBe(false);

    const range = lastCompletedPeriod('week', 'Etc/UTC', new Date());
    await withDataDir(temp.path, async (stores) => {
      const ledger = await ledgerEntry(stores.postgres, siteId, range);
      expect(ledger).toMatchObject({ status: 'sent', attempts: 1, periodStart: range.first });
      expect(ledger?.deliveredTo.sort()).toEqual(['owner@example.org', 'team@example.org']);
      expect((await lastSendResults(stores.postgres)).last).toMatchObject({ ok: true, kind: 'report' });

      const site = { id: siteId, domain: DOMAIN, timezone: 'Etc/UTC' };
      const aggregate = await runStatsQuery(stores, site, 'aggregate', statsParams(range, {
        metrics: 'visitors,pageviews,bounce_rate,visit_duration',
        compare: 'previous_period',
      }));
      expect(aggregate.status).toBe(200);
      const results = (aggregate.body as { results: Record<string, { value: number; change: number | null }> }).results;
      expect(results.visitors?.value).toBeGreaterThan(0);
      const sources = await runStatsQuery(stores, site, 'breakdown', statsParams(range, { property: 'visit:source', metrics: 'visitors', limit: '5' }));
      const pages = await runStatsQuery(stores, site, 'breakdown', statsParams(range, { property: 'event:page', metrics: 'visitors', limit: '5' }));

      const mail = smtp.received.find((m) => m.to[0] === 'owner@example.org');
      const text = mail?.parsed.text ?? '';
      const html = String(mail?.parsed.html ?? '');
      expect(mail?.parsed.subject).toContain(`Weekly report for ${DOMAIN}`);
      const line = (label: string) => text.split('\n').find((l) => l.startsWith(`${label}:`)) ?? '';
      expect(line('Visitors')).toContain(results.visitors!.value.toLocaleString('en-US'));
      expect(line('Visitors')).toContain(`(${formatChange(results.visitors!.change)})`);
      expect(line('Pageviews')).toContain(results.pageviews!.value.toLocaleString('en-US'));
      expect(line('Pageviews')).toContain(`(${formatChange(results.pageviews!.change)})`);
      expect(line('Bounce rate')).toContain(`${results.bounce_rate!.value}%`);
      expect(line('Bounce rate')).toContain(`(${formatChange(results.bounce_rate!.change, 'pp')})`);
      expect(line('Visit duration')).toContain(formatDuration(results.visit_duration!.value));
      expect(line('Visit duration')).toContain(`(${formatChange(results.visit_duration!.change)})`);
      for (const row of (sources.body as { results: { source: string; visitors: number }[] }).results) {
        expect(text).toMatch(new RegExp(`\\s${row.visitors.toLocaleString('en-US')}  ${row.source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
        expect(html).toContain(row.source);
      }
      const topPage = (pages.body as { results: { page: string; visitors: number }[] }).results[0];
      expect(text).toContain(`${topPage?.visitors.toLocaleString('en-US')}  ${topPage?.page}`);
      expect(html).toContain(`data-metric="Visitors">${results.visitors!.value.toLocaleString('en-US')}<`);

      // Each copy has its own working unsubscribe link (in the text, the HTML and the List-Unsubscribe header).
      const link = /https:\/\/stats\.example\.com\/reports\/unsubscribe\/([\w-]+)/.exec(text)?.[0];
      expect(link).toBeDefined();
      expect(mail?.raw.replace(/\r\n\s+/g, ' ')).toContain(`List-Unsubscribe: <${link}>`);
      expect(html).toContain(`href="${link}"`);
      const other = smtp.received.find((m) => m.to[0] === 'team@example.org')?.parsed.text ?? '';
      expect(other).not.toContain(link as string);
    });
  }, 240_000);
});
