import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DESKTOP_CHROME_UA, launchChromium } from '../helpers/browser.js';
import { tempDir } from '../helpers/cli.js';
import { prepareDataDir, withDataDir } from '../helpers/fixtures.js';
import { spawnServer } from '../helpers/server.js';

/** A customer's page on another origin, with the snippet exactly as a site owner pastes it. */
function customerSite(analyticsUrl: string): Promise<Server> {
  const page = (title: string) => `<!doctype html><html><head><title>${title}</title>
<script defer data-domain="browser.example" data-allow-localhost src="${analyticsUrl}/js/script.js"></script>
<script>window.analytics = window.analytics || function () { (window.analytics.q = window.analytics.q || []).push(arguments) }</script>
</head><body>
<button id="signup" onclick="analytics('Signup', { props: { plan: 'pro' } })">Sign up</button>
<a id="spa" href="#" onclick="history.pushState({}, '', '/app/settings'); return false">Settings</a>
</body></html>`;
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(page(req.url ?? ''));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('the tracker in real Chromium', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  });

  it('sends a pageview, a custom event and an SPA pageview that land in ClickHouse enriched', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const { 'browser.example': siteId } = await prepareDataDir(dataDir, ['browser.example']);
    const analytics = await spawnServer({ DATA_DIR: dataDir, CLICKHOUSE_FLUSH_INTERVAL_MS: '200' });
    cleanups.push(() => analytics.stop('SIGKILL'));
    const site = await customerSite(analytics.url);
    cleanups.push(() => new Promise((r) => site.close(r)));
    const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;

    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    // The X-Forwarded-For a reverse proxy would add; the server believes it because the peer is loopback.
    const context = await browser.newContext({ userAgent: DESKTOP_CHROME_UA, extraHTTPHeaders: { 'X-Forwarded-For': '8.8.8.8' } });
    const page = await context.newPage();
    const accepted = async () => {
      const health = (await (await fetch(`${analytics.url}/api/health`)).json()) as { ingest: { counters: { accepted: number } } };
      return health.ingest.counters.accepted;
    };
    const waitForAccepted = async (n: number) => {
      for (let i = 0; i < 100 && (await accepted()) < n; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await accepted()).toBe(n);
    };

    await page.goto(`${siteUrl}/pricing?utm_campaign=launch`, { referer: 'https://news.ycombinator.com/item?id=1' });
    await waitForAccepted(1);
    await page.click('#signup');
    await waitForAccepted(2);
    await page.click('#spa');
    await waitForAccepted(3);
    const cookies = await context.cookies();
    expect(cookies).toEqual([]);
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length])).toEqual([0, 0]);

    expect(await analytics.stop('SIGTERM')).toBe(0);
    const events = await withDataDir(dataDir, (stores) =>
      stores.clickhouse.query<Record<string, unknown>>(
        `SELECT name, pathname, referrer_source, utm_campaign, country_code, browser, os, device, user_id, session_id, prop_keys, prop_values
         FROM events WHERE site_id = {site:UInt64} ORDER BY timestamp, name`,
        { site: siteId },
      ),
    );
    // Timestamps have one-second resolution: compare as a set, then the pageviews' order.
    expect(events.map((e) => `${e.name} ${e.pathname}`).sort()).toEqual(['Signup /pricing', 'pageview /app/settings', 'pageview /pricing']);
    for (const event of events) {
      expect(event).toMatchObject({ country_code: 'US', browser: 'Chrome', os: 'GNU/Linux', device: 'Desktop' });
      expect(event.referrer_source).toBe('Hacker News');
    }
    expect(events.find((e) => e.pathname === '/pricing' && e.name === 'pageview')).toMatchObject({ utm_campaign: 'launch' });
    expect(events.find((e) => e.name === 'Signup')).toMatchObject({ prop_keys: ['plan'], prop_values: ['pro'] });
    // One visitor, one visit: the same cookie-less id and session for all three.
    expect(new Set(events.map((e) => e.user_id)).size).toBe(1);
    expect(new Set(events.map((e) => e.session_id)).size).toBe(1);
    expect(BigInt(String(events[0]?.user_id))).toBeGreaterThan(0n);
  });
});
