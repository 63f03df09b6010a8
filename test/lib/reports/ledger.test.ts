/**
 * The ledger's promises, against the real stores: a report is claimed once; a failed one waits for its
 * backoff and is then retried; a claim left by a process that died is released and finished without
 * sending twice to a recipient who already had it. Plus the no-login unsubscribe link.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastSendResults } from '../../../src/lib/mail/last-send.js';
import type { SmtpSettings } from '../../../src/lib/mail/settings.js';
import { claimReport, ledgerEntry, recordDelivery } from '../../../src/lib/reports/ledger.js';
import { lastCompletedPeriod } from '../../../src/lib/reports/periods.js';
import { ReportScheduler } from '../../../src/lib/reports/scheduler.js';
import { sendSiteReport } from '../../../src/lib/reports/send.js';
import { listSubscriptions, subscribe } from '../../../src/lib/reports/subscriptions.js';
import { createLogger } from '../../../src/lib/server/log.js';
import { UNSUBSCRIBE_PREFIX, handleUnsubscribe } from '../../../src/lib/server/routes/reports-unsubscribe.js';
import { findSite, type Site } from '../../../src/lib/sites/sites.js';
import { openStores, type OpenedStores } from '../../../src/lib/storage/open.js';
import { prepareDataDir } from '../../helpers/fixtures.js';
import { SMTP_PASSWORD, SMTP_USER, makeTestCertificate, startTestSmtpServer, type TestCertificate, type TestSmtpServer } from '../../helpers/smtp.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

let temp: TempDir;
let stores: OpenedStores;
let certificate: TestCertificate;
let smtp: TestSmtpServer;
let settings: SmtpSettings;
let site: Site;
const logs: string[] = [];
const log = createLogger('debug', { json: true, write: (line) => logs.push(line) });

beforeAll(async () => {
  temp = await makeTempDir('analytics-ledger-');
  await prepareDataDir(temp.path, ['ledger.example', 'other.example']);
  stores = await openStores({ dataDir: temp.path });
  site = (await findSite(stores.postgres, 'ledger.example')) as Site;
  certificate = makeTestCertificate();
  smtp = await startTestSmtpServer({ tls: 'starttls', certificate });
  settings = {
    host: smtp.host,
    port: smtp.port,
    implicitTls: false,
    user: SMTP_USER,
    password: SMTP_PASSWORD,
    from: { name: 'Analytics', address: 'reports@example.com' },
    retries: 0,
    tls: { ca: certificate.cert },
  };
  await subscribe(stores.postgres, { domain: 'ledger.example', email: 'a@example.org', periods: ['week', 'month'] });
  await subscribe(stores.postgres, { domain: 'ledger.example', email: 'b@example.org', periods: ['week'] });
}, 120_000);

afterAll(async () => {
  await stores?.close();
  await smtp?.close();
  certificate?.remove();
  await temp?.remove();
});

const now = new Date();

describe('sent-reports ledger', () => {
  it('a report is claimed once: a second claim gets nothing', async () => {
    const range = { period: 'month' as const, first: '2020-01-01', last: '2020-01-31' };
    const claim = await claimReport(stores.postgres, site.id, range);
    expect(claim).toMatchObject({ attempt: 1, deliveredTo: [] });
    expect(await claimReport(stores.postgres, site.id, range)).toBeUndefined();
    const [a, b] = await Promise.all([
      claimReport(stores.postgres, site.id, { ...range, first: '2020-02-01', last: '2020-02-29' }),
      claimReport(stores.postgres, site.id, { ...range, first: '2020-02-01', last: '2020-02-29' }),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
  });

  it('a failed send is recorded, waits for its backoff, then the scheduler retries and sends', async () => {
    const range = lastCompletedPeriod('week', site.timezone, now);
    const down = await sendSiteReport(stores, {
      site,
      range,
      baseUrl: 'https://stats.example.com',
      smtp: { ...settings, port: 1, host: '127.0.0.1' },
      // Long enough that the early tick below surely comes before it, even on a loaded machine.
      retryBaseMs: 5_000,
    });
    expect(down).toMatchObject({ outcome: 'failed', delivered: [] });
    expect(down.failures.map((f) => f.email).sort()).toEqual(['a@example.org', 'b@example.org']);
    expect(down.retryAt).toEqual(expect.any(String));
    expect(await ledgerEntry(stores.postgres, site.id, range)).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('ECONNREFUSED') });
    expect((await lastSendResults(stores.postgres)).last).toMatchObject({ ok: false, kind: 'report' });

    const scheduler = new ReportScheduler({ stores, smtp: settings, baseUrl: 'https://stats.example.com', log, now: () => now });
    const early = await scheduler.tick();
    expect(early?.results.find((r) => r.period === 'week')?.outcome).toBe('already-claimed');
    expect(smtp.received.filter((m) => m.parsed.subject?.startsWith('Weekly'))).toHaveLength(0);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(down.retryAt as string) - Date.now()) + 100));
    const retried = await scheduler.tick();
    expect(retried?.results.find((r) => r.period === 'week')).toMatchObject({ outcome: 'sent' });
    expect(await ledgerEntry(stores.postgres, site.id, range)).toMatchObject({ status: 'sent', attempts: 2, lastError: null });
    expect(smtp.received.filter((m) => m.parsed.subject?.startsWith('Weekly')).map((m) => m.to[0]).sort()).toEqual(['a@example.org', 'b@example.org']);
    expect(logs.some((l) => l.includes('"msg":"report sent"'))).toBe(true);

    // The same tick sent last month's report to its one subscriber; neither goes out again.
    const again = await scheduler.tick();
    expect(again?.results.map((r) => r.outcome)).toEqual(['already-claimed', 'already-claimed']);
    expect(smtp.received).toHaveLength(3);
    await scheduler.stop();
  });

  it('a claim left by a process that died mid-send is released and finished, skipping who already got it', async () => {
    const range = { period: 'week' as const, first: '2021-03-01', last: '2021-03-07' };
    const claim = await claimReport(stores.postgres, site.id, range);
    await recordDelivery(stores.postgres, claim!.id, 'a@example.org');
    await stores.postgres.query("UPDATE sent_reports SET claimed_at = now() - interval '1 hour' WHERE id = $1", [claim!.id]);
    const before = smtp.received.length;
    const scheduler = new ReportScheduler({
      stores,
      smtp: settings,
      baseUrl: 'https://stats.example.com',
      log,
      now: () => new Date('2021-03-10T12:00:00Z'),
    });
    await scheduler.tick();
    await scheduler.stop();
    const weekly = smtp.received.slice(before).filter((m) => m.parsed.subject?.includes('1 Mar 2021'));
    expect(weekly.map((m) => m.to[0])).toEqual(['b@example.org']);
    expect(await ledgerEntry(stores.postgres, site.id, range)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(logs.some((l) => l.includes('released claims of a process that stopped'))).toBe(true);
  });
});

describe('unsubscribe link (no login)', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://local');
      void handleUnsubscribe(stores.postgres, req, res, url);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${UNSUBSCRIBE_PREFIX}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('GET asks (link scanners unsubscribe nobody), POST unsubscribes, a second POST says so', async () => {
    const [sub] = await listSubscriptions(stores.postgres, { domain: 'ledger.example', period: 'month' });
    const token = sub!.unsubscribeToken;
    const page = await fetch(base + token);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post">');
    expect(await listSubscriptions(stores.postgres, { domain: 'ledger.example', period: 'month' })).toHaveLength(1);

    // RFC 8058 one-click, as a mail client sends it.
    const done = await fetch(base + token, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('a@example.org will no longer get the monthly report for ledger.example');
    expect(await listSubscriptions(stores.postgres, { domain: 'ledger.example', period: 'month' })).toHaveLength(0);
    expect(await listSubscriptions(stores.postgres, { domain: 'ledger.example', period: 'week' })).toHaveLength(2);

    expect((await fetch(base + token, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}not-a-token`)).status).toBe(404);
  });
});
